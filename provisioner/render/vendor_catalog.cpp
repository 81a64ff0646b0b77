#include "provisioner/render/vendor_catalog.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/String.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace prov {

namespace {

std::string upper(std::string s) { return Poco::toUpper(s); }

}  // namespace

Result<VendorCatalog> VendorCatalog::load(const std::string& dir) {
    VendorCatalog catalog;
    Poco::File root(dir);
    if (!root.exists() || !root.isDirectory())
        return Error::invalid("templates.dir " + dir + " is not a directory");
    std::vector<std::string> folders;
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
        if (it->isDirectory()) folders.push_back(it.name());
    }
    std::sort(folders.begin(), folders.end());
    for (const std::string& folder : folders) {
        const std::string file = Poco::Path(dir).append(folder).append("vendor.json").toString();
        if (!Poco::File(file).exists()) continue;
        std::ifstream in(file);
        std::stringstream text;
        text << in.rdbuf();
        try {
            Poco::JSON::Parser parser;
            auto root_obj = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
            Vendor v;
            v.id = folder;
            v.name = root_obj->optValue<std::string>("name", folder);
            auto models = root_obj->getObject("models");
            if (!models) return Error::invalid(file + ": \"models\" is missing");
            for (const auto& [name, value] : *models) {
                (void)value;
                auto m = models->getObject(name);
                if (!m) return Error::invalid(file + ": model " + name + " is not an object");
                ModelInfo info{v.id, v.name, name, m->optValue<int>("lines", 0), m->optValue<int>("keys", 0)};
                if (info.lines < 1) return Error::invalid(file + ": model " + name + " needs \"lines\" >= 1");
                v.models[upper(name)] = info;
            }
            catalog.vendors_.push_back(std::move(v));
        } catch (const Poco::Exception& e) {
            return Error::invalid(file + ": " + e.displayText());
        }
    }
    return catalog;
}

std::optional<ModelInfo> VendorCatalog::findModel(const std::string& make, const std::string& model) const {
    const std::string m = upper(model);
    for (const Vendor& v : vendors_) {
        if (Poco::icompare(v.id, make) != 0 && Poco::icompare(v.name, make) != 0) continue;
        auto it = v.models.find(m);
        if (it != v.models.end()) return it->second;
    }
    return std::nullopt;
}

}  // namespace prov
