// GET /api/v1/catalog: the makes and models a form offers (every role).

#include "provisioner/admin/api_catalog.h"

#include <Poco/JSON/Array.h>

#include <algorithm>

#include "provisioner/model/json_encode.h"

namespace prov::admin {

std::vector<CatalogVendor> catalogOf(const VendorCatalog& catalog) {
    std::vector<CatalogVendor> out;
    for (const auto& v : catalog.vendors()) {
        CatalogVendor cv{v->id, v->name, v->softphone, {}};
        for (const auto& [key, info] : v->models) cv.models.push_back(CatalogModel{info.model, info.lines, info.keys});
        std::sort(cv.models.begin(), cv.models.end(),
                  [](const CatalogModel& a, const CatalogModel& b) { return a.model < b.model; });
        out.push_back(std::move(cv));
    }
    std::sort(out.begin(), out.end(), [](const CatalogVendor& a, const CatalogVendor& b) { return a.vendor < b.vendor; });
    return out;
}

ApiResult catalogRoutes(ApiContext& context, const ApiRequest& r) {
    if (r.method != "GET") return methodNotAllowed("GET");
    Poco::JSON::Array::Ptr vendors = new Poco::JSON::Array();
    for (const CatalogVendor& v : context.catalog()) {
        auto o = json::newObject();
        o->set("vendor", v.vendor);
        o->set("name", v.name);
        o->set("softphone", v.softphone);
        Poco::JSON::Array::Ptr models = new Poco::JSON::Array();
        for (const CatalogModel& m : v.models) {
            auto mo = json::newObject();
            mo->set("model", m.model);
            mo->set("lines", m.lines);
            mo->set("keys", m.keys);
            models->add(mo);
        }
        o->set("models", models);
        vendors->add(o);
    }
    auto o = json::newObject();
    o->set("vendors", vendors);
    return ok(o);
}

}  // namespace prov::admin
