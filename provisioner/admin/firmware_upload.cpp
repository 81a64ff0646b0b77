#include "provisioner/admin/firmware_upload.h"

#include <set>
#include <vector>

#include "provisioner/firmware/manifest.h"

namespace prov::admin {

namespace {

Error tooLarge(int64_t limit) {
    return Error{Code::kTooLarge,
                 "body_too_large",
                 "the image is over firmware.max_bytes (" + std::to_string(limit) + " bytes)",
                 {},
                 {}};
}

// The image's description from the query string; every bad field named.
Result<firmware::AddSpec> readSpec(const firmware::Catalog& catalog, const ApiRequest& req) {
    static const std::set<std::string> kKnown = {"vendor", "models", "version",
                                                 "sha256", "size",   "name"};
    FieldErrors errors;
    for (const auto& [k, v] : req.query)
        if (!kKnown.count(k))
            errors[k] =
                "is not a parameter of an upload (vendor, models, version, name, sha256, size)";
    auto value = [&](const char* key) {
        auto it = req.query.find(key);
        return it == req.query.end() ? std::string() : it->second;
    };
    firmware::AddSpec spec;
    spec.vendor = value("vendor");
    spec.models = value("models");
    spec.version = value("version");
    spec.sha256 = value("sha256");
    spec.name = value("name");
    spec.source = "upload";
    spec.actor = req.actor.name;
    spec.actor_source = req.actor.source;
    if (const std::string size = value("size"); !size.empty()) {
        const bool digits =
            size.size() <= 15 && size.find_first_not_of("0123456789") == std::string::npos;
        if (digits) {
            spec.size = std::stoll(size);
        } else {
            errors["size"] = "a number of bytes";
        }
    }
    if (auto st = catalog.checkSpec(spec); !st)
        errors.insert(st.error().fields.begin(), st.error().fields.end());
    if (!errors.empty()) return Error::invalid("the firmware image is not valid", errors);
    return spec;
}

}  // namespace

ApiResult receiveFirmware(ApiContext& context, Poco::Net::HTTPServerRequest& request,
                          const ApiRequest& req, int64_t limit, bool& body_read) {
    if (req.actor.role != Role::kAdmin) return forbidden(req.actor, "add firmware images");
    if (!context.firmware) return Error::notFound("no firmware catalog");
    firmware::Catalog& catalog = *context.firmware;
    const firmware::AddSpec spec = TRY(readSpec(catalog, req));
    if (request.hasContentLength() && request.getContentLength64() > limit) return tooLarge(limit);
    if (!request.hasContentLength() && !request.getChunkedTransferEncoding())
        return Error::invalid("no image", {{"body", "the image's bytes are the request body"}});
    if (request.hasContentLength() && request.getContentLength64() == 0)
        return Error::invalid("no image",
                              {{"body", "empty: the image's bytes are the request body"}});
    // Poco ends a chunked body quietly when the client goes away mid-chunk,
    // so the end of one proves nothing: a chunked image must say its size or
    // SHA-256, which a cut-off body then fails.
    if (!request.hasContentLength() && !spec.size && spec.sha256.empty())
        return Error{Code::kInvalidArgument,
                     "length_required",
                     "a chunked upload must give the image's size or SHA-256",
                     {{"size", "required (or sha256) when the body is chunked"},
                      {"sha256", "required (or size) when the body is chunked"}},
                     {}};
    auto incoming = TRY(firmware::IncomingFile::create(catalog.dir()));
    std::istream& in = request.stream();
    std::vector<char> buf(64 << 10);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const auto n = static_cast<size_t>(in.gcount());
        if (n == 0) continue;
        // Cut off at once: the file goes with `incoming`.
        if (incoming->size() + static_cast<int64_t>(n) > limit) return tooLarge(limit);
        TRY(incoming->write(buf.data(), n));
    }
    if (request.hasContentLength() && incoming->size() != request.getContentLength64())
        return Error::invalid("the upload did not arrive whole",
                              {{"body", "shorter than its Content-Length"}});
    body_read = true;
    if (incoming->size() == 0)
        return Error::invalid("no image",
                              {{"body", "empty: the image's bytes are the request body"}});
    const firmware::Hashed received = TRY(incoming->finish());
    const FirmwareImage image = TRY(catalog.addReceived(*incoming, received, spec));
    ApiResponse r = ok(firmware::imageJson(image), 201);
    r.headers["Location"] = "/api/v1/firmware/" + std::to_string(image.id);
    return r;
}

}  // namespace prov::admin
