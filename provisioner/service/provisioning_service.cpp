#include "provisioner/service/provisioning_service.h"

#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>

#include <climits>
#include <cstdlib>
#include <fstream>

#include "provisioner/core/mac_address.h"

namespace prov {

namespace {

FetchResponse notFound(std::string reason) {
    FetchResponse r;
    r.outcome = Outcome::kNotFound;
    r.reason = std::move(reason);
    return r;
}

FetchResponse denied(std::string reason) {
    FetchResponse r;
    r.outcome = Outcome::kDenied;
    r.reason = std::move(reason);
    return r;
}

std::string outcomeName(Outcome o) {
    switch (o) {
        case Outcome::kServed:
        case Outcome::kNotModified:
        case Outcome::kStored: return "served";
        case Outcome::kNotFound: return "not_found";
        case Outcome::kDenied:
        case Outcome::kForbidden: return "denied";
        default: return "error";
    }
}

// Real path of `path` when it lies inside `root` (symlinks resolved).
std::optional<std::string> insideRoot(const std::string& root, const std::string& path) {
    char real_root[PATH_MAX];
    char real_path[PATH_MAX];
    if (!realpath(root.c_str(), real_root) || !realpath(path.c_str(), real_path)) return std::nullopt;
    const std::string r = std::string(real_root) + "/";
    const std::string p = real_path;
    if (p.compare(0, r.size(), r) != 0) return std::nullopt;
    return p;
}

}  // namespace

ProvisioningService::ProvisioningService(Store& store, const BundleSource& bundles, const AccessPolicy& policy,
                                         EventSink& events, const Hasher& hasher, const Clock& clock,
                                         const ConfigGeneration& generation, ServiceOptions options)
    : store_(store), bundles_(bundles), policy_(policy), events_(events), hasher_(hasher), clock_(clock),
      generation_(generation), options_(std::move(options)), resolver_(store) {}

Fetched ProvisioningService::fetch(const FetchRequest& request) {
    const int64_t start = clock_.monotonicMicros();
    Fetched f;
    Event& event = f.event;
    event.at = clock_.nowSeconds();
    event.peer_ip = request.peer_ip;
    event.protocol = std::string(toString(request.protocol));
    event.path = request.file.substr(0, 255);
    event.user_agent = request.user_agent.substr(0, 255);
    auto result = handle(request, event);
    FetchResponse& response = f.response;
    if (result) {
        response = std::move(result).value();
    } else {
        response.outcome = Outcome::kError;
        response.reason = result.error().message;
        Poco::Logger::get("provisioning")
            .error("%s %s from %s: %s", event.protocol, event.path, request.peer_ip, result.error().message);
    }
    if (response.outcome == Outcome::kDenied || response.outcome == Outcome::kNotFound ||
        response.outcome == Outcome::kForbidden) {
        Poco::Logger::get("provisioning")
            .information("%s %s from %s refused: %s", event.protocol, event.path, request.peer_ip, response.reason);
    }
    event.outcome = outcomeName(response.outcome);
    event.not_modified = response.outcome == Outcome::kNotModified;
    event.bytes = response.outcome == Outcome::kServed
                      ? static_cast<int64_t>(response.file_path.empty() ? response.body.size() : response.file_size)
                      : 0;
    event.duration_us = clock_.monotonicMicros() - start;
    return f;
}

Result<FetchResponse> ProvisioningService::handle(const FetchRequest& request, Event& event) {
    if (!isSafeFileName(request.file)) return notFound("not a file name a phone may ask for");
    const auto bundle = bundles_.current();
    auto id = identify(bundle->catalog, request.file, request.user_agent, [&](const std::string& mac) {
        std::string make;
        (void)store_.read([&](StoreTx& tx) -> Status {
            auto d = tx.getDevice(mac);
            if (d && d.value()) make = d.value()->make;
            return okStatus();
        });
        return make;
    });
    if (!id) {
        if (id.error().code == Code::kPermissionDenied) {
            event.mac.clear();
            return denied(id.error().message);
        }
        if (request.method == Method::kPut) return notFound("no such upload");
        return staticFile(request);
    }
    const DeviceIdentity& ident = id.value();
    event.mac = ident.mac;
    event.auth = request.client_cert ? "client_cert" : "none";
    // A phone that proved its MAC may fetch only its own files.
    if (request.client_cert && !request.cert_mac.empty() && !ident.mac.empty() && ident.mac != request.cert_mac) {
        FetchResponse r;
        r.outcome = Outcome::kForbidden;
        r.reason = "certificate for " + request.cert_mac + " asked for " + ident.mac + "'s file";
        return r;
    }
    event.vendor = ident.vendor_guessed ? "" : ident.vendor->id;
    event.model = ident.model;
    event.firmware = ident.firmware;
    if (ident.route->kind == FileKind::kUpload) {
        if (request.method != Method::kPut) return notFound("uploads are written by the phone, never served");
        return upload(ident, request);
    }
    if (request.method == Method::kPut) {
        FetchResponse r;
        r.outcome = Outcome::kMethodNotAllowed;
        r.reason = "PUT of a served file";
        return r;
    }
    return renderFile(ident, request, event, true);
}

Result<FetchResponse> ProvisioningService::renderFile(const DeviceIdentity& id, const FetchRequest& request,
                                                      Event& event, bool enforce_policy) {
    const bool device_file = id.route->kind == FileKind::kDevice;
    // Secrets go to a phone that proved this MAC with its certificate, or,
    // unless policy.secrets_require_client_cert, to an allowed network.
    const bool proven = request.client_cert && !request.cert_mac.empty() && request.cert_mac == id.mac;
    const bool by_network = !options_.secrets_require_client_cert && policy_.allowsSecrets(request.peer_ip);
    if (device_file && id.route->secrets && enforce_policy) event.auth = proven ? "client_cert" : by_network ? "network" : "none";
    // Unknown and denied MACs both get the same answer after the same store
    // read, so neither the bytes nor the time tell a MAC sweep which exist.
    if (device_file && enforce_policy && id.route->secrets && !proven && !by_network) {
        auto resolved = resolver_.resolve(id.mac);
        if (!resolved) return resolved.error();
        if (!resolved.value()) return notFound("MAC " + id.mac + " is not in the store");
        return denied(options_.secrets_require_client_cert
                          ? "secrets need a client certificate for this MAC (policy.secrets_require_client_cert)"
                          : "secrets are not served to " + request.peer_ip + " (provisioning.allow_networks)");
    }
    const uint64_t generation = generation_.current();
    const std::string key = id.vendor->id + "|" + id.route->pattern.text() + "|" + id.file + "|" + id.mac + "|" +
                            id.model + "|" + id.firmware;
    std::shared_ptr<const CachedFile> file = cache_.get(key, generation);
    if (!file) {
        auto rendered = render(id);
        if (!rendered) return rendered.error();
        if (!rendered.value()) return notFound("MAC " + id.mac + " is not in the store");
        auto fresh = std::make_shared<CachedFile>();
        fresh->body = std::move(*rendered.value());
        fresh->hash = hasher_.sha256Hex(fresh->body);
        fresh->etag = "\"" + fresh->hash.substr(0, 32) + "\"";
        fresh->generation = generation;
        file = fresh;
        cache_.put(key, file);
    }
    FetchResponse r;
    r.outcome = Outcome::kServed;
    r.etag = file->etag;
    r.content_type = id.route->content_type;
    event.config_hash = file->hash;
    event.device_config = device_file;
    if (!request.if_none_match.empty() && request.if_none_match == r.etag) {
        r.outcome = Outcome::kNotModified;
        return r;
    }
    r.body = file->body;
    return r;
}

Result<std::optional<std::string>> ProvisioningService::render(const DeviceIdentity& id) {
    const auto bundle = bundles_.current();
    RenderInput in;
    in.vendor = id.vendor;
    in.route = id.route;
    in.captures = id.captures;
    in.file = id.file;
    in.model = id.model;
    in.firmware = id.firmware;
    std::optional<DeviceProfile> profile;
    if (id.route->kind == FileKind::kDevice) {
        auto resolved = resolver_.resolve(id.mac);
        if (!resolved) return resolved.error();
        if (!resolved.value()) return std::optional<std::string>();
        profile = std::move(resolved).value();
        in.mac = id.mac;
        if (in.model.empty()) in.model = profile->device.model;
        if (in.firmware.empty()) in.firmware = profile->device.last_firmware;
        in.settings = profile->settings;
        in.profile = &*profile;
    } else {
        auto settings = resolver_.globalSettings();
        if (!settings) return settings.error();
        in.settings = settings.value();
    }
    auto bytes = bundle->templates->render(in);
    if (!bytes) return bytes.error();
    return std::optional<std::string>(std::move(bytes).value());
}

Result<FetchResponse> ProvisioningService::staticFile(const FetchRequest& request) {
    const std::string path = Poco::Path(options_.firmware_dir).append(request.file).toString();
    auto real = insideRoot(options_.firmware_dir, path);
    if (!real) return notFound("no such file");
    Poco::File f(*real);
    if (!f.isFile()) return notFound("not a regular file");
    FetchResponse r;
    r.outcome = Outcome::kServed;
    r.file_path = *real;
    r.file_size = static_cast<int64_t>(f.getSize());
    r.content_type = "application/octet-stream";
    r.etag = "\"" + std::to_string(r.file_size) + "-" + std::to_string(f.getLastModified().epochTime()) + "\"";
    if (!request.if_none_match.empty() && request.if_none_match == r.etag) r.outcome = Outcome::kNotModified;
    return r;
}

Result<FetchResponse> ProvisioningService::upload(const DeviceIdentity& id, const FetchRequest& request) {
    auto resolved = resolver_.resolve(id.mac);
    if (!resolved) return resolved.error();
    if (!resolved.value()) return notFound("uploads are kept only for known devices");
    if (request.body.size() > options_.max_upload_bytes) {
        FetchResponse r;
        r.outcome = Outcome::kTooLarge;
        r.reason = "upload over " + std::to_string(options_.max_upload_bytes) + " bytes";
        return r;
    }
    const Poco::Path dir = Poco::Path(options_.uploads_dir).append(id.mac);
    try {
        Poco::File(dir).createDirectories();
    } catch (const Poco::Exception& e) {
        return Error::internal("cannot create " + dir.toString() + ": " + e.displayText());
    }
    const std::string target = Poco::Path(dir).append(id.file).toString();
    const std::string temp = target + ".partial";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
        if (!out) return Error::internal("cannot write " + temp);
    }
    if (std::rename(temp.c_str(), target.c_str()) != 0) return Error::internal("cannot store " + target);
    FetchResponse r;
    r.outcome = Outcome::kStored;
    return r;
}

Result<std::string> ProvisioningService::preview(const std::string& mac, const std::string& file,
                                                 const std::string& user_agent) {
    if (!isSafeFileName(file)) return Error::invalid("not a file name a phone may ask for", {{"file", "is not a file name"}});
    const auto bundle = bundles_.current();
    FetchRequest request;
    request.file = file;
    request.user_agent = user_agent;
    auto id = identify(bundle->catalog, request.file, request.user_agent, [&](const std::string& m) {
        std::string make;
        (void)store_.read([&](StoreTx& tx) -> Status {
            auto d = tx.getDevice(m);
            if (d && d.value()) make = d.value()->make;
            return okStatus();
        });
        return make;
    });
    if (!id) return Error::notFound("no vendor serves " + file);
    if (id.value().route->kind == FileKind::kUpload) return Error::notFound(file + " is written by the phone");
    if (!id.value().mac.empty() && id.value().mac != mac)
        return Error::invalid("the file names another MAC", {{"file", "names MAC " + id.value().mac}});
    Event unused;
    auto r = renderFile(id.value(), request, unused, false);
    if (!r) return r.error();
    if (r.value().outcome != Outcome::kServed) return Error::notFound(r.value().reason);
    return r.value().body;
}

}  // namespace prov
