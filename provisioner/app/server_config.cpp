#include "provisioner/app/server_config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Path.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <set>
#include <tuple>

#include "provisioner/core/text.h"
#include <vector>

namespace prov::app {

namespace {

using Poco::AutoPtr;
using Poco::Util::AbstractConfiguration;

const std::set<std::string>& knownKeys() {
    static const std::set<std::string> kKeys = {
        "store.path",   "templates.dir", "firmware.dir",       "certs.dir",
        "http.port",    "https.port",    "tftp.port",          "admin.port",
        "admin.bind",   "license.extensions", "status.unknown_after", "ports.file",
        "log.level", "http.bind", "provisioning.allow_networks", "uploads.dir", "uploads.max_bytes",
        "templates.poll_seconds", "tftp.bind", "tftp.loops",
        "tftp.max_transfers", "tftp.max_per_source", "https.bind", "tls.server_names", "tls.legacy_phones",
        "https.client_cert", "policy.secrets_require_client_cert", "events.keep_days", "devices.max_unassigned",
        "admin.max_import_bytes", "admin.tls", "http.loops", "http.max_connections",
    };
    return kKeys;
}

void collectKeys(const AbstractConfiguration& c, const std::string& prefix, std::vector<std::string>& out) {
    AbstractConfiguration::Keys keys;
    c.keys(prefix, keys);
    if (keys.empty() && !prefix.empty()) out.push_back(prefix);
    for (const auto& k : keys) collectKeys(c, prefix.empty() ? k : prefix + "." + k, out);
}

Result<int64_t> integer(const AbstractConfiguration& c, const std::string& key, int64_t def, int64_t min,
                        int64_t max) {
    if (!c.has(key)) return def;
    const std::string v = c.getString(key);
    if (!text::isDigits(v) || v.size() > 12 || std::stoll(v) < min || std::stoll(v) > max) {
        return Error::invalid("config: " + key + " must be an integer from " + std::to_string(min) + " to " +
                              std::to_string(max) + " (got '" + v + "')");
    }
    return std::stoll(v);
}

}  // namespace

Result<ServerConfig> loadConfig(const ConfigSources& sources) {
    AutoPtr<Poco::Util::LayeredConfiguration> layered = new Poco::Util::LayeredConfiguration();
    AutoPtr<Poco::Util::MapConfiguration> defines = new Poco::Util::MapConfiguration();
    for (const auto& [k, v] : sources.defines) defines->setString(k, v);
    layered->add(defines, 0);
    if (!sources.file.empty()) {
        if (!Poco::File(sources.file).exists())
            return Error::invalid("config: cannot read " + sources.file + ": no such file");
        try {
            const std::string ext = Poco::Path(sources.file).getExtension();
            if (ext == "ini") {
                layered->add(AutoPtr<AbstractConfiguration>(new Poco::Util::IniFileConfiguration(sources.file)), 10);
            } else {
                layered->add(AutoPtr<AbstractConfiguration>(new Poco::Util::PropertyFileConfiguration(sources.file)), 10);
            }
        } catch (const Poco::Exception& e) {
            return Error::invalid("config: cannot read " + sources.file + ": " + e.displayText());
        }
    }
    std::vector<std::string> keys;
    collectKeys(*layered, "", keys);
    for (const auto& k : keys) {
        if (k == "http.engine" || k == "http.max_threads" || k == "http.overload_queue")
            return Error::invalid("config: " + k +
                                  " was removed: phones' HTTP and HTTPS always run on the event loops "
                                  "(http.loops, http.max_connections)");
        if (!knownKeys().count(k)) return Error::invalid("config: unknown key '" + k + "'");
    }

    ServerConfig cfg;
    const auto& c = *layered;
    cfg.store_path = c.getString("store.path", cfg.store_path);
    cfg.templates_dir = c.getString("templates.dir", cfg.templates_dir);
    cfg.firmware_dir = c.getString("firmware.dir", cfg.firmware_dir);
    cfg.certs_dir = c.getString("certs.dir", cfg.certs_dir);
    cfg.ports_file = c.getString("ports.file", cfg.ports_file);
    cfg.admin_bind = c.getString("admin.bind", cfg.admin_bind);
    cfg.log_level = c.getString("log.level", cfg.log_level);
    cfg.http_bind = c.getString("http.bind", cfg.http_bind);
    cfg.allow_networks = c.getString("provisioning.allow_networks", "");
    cfg.uploads_dir = c.getString("uploads.dir", cfg.uploads_dir);
    auto upl = integer(c, "uploads.max_bytes", cfg.uploads_max_bytes, 0, 64 << 20);
    if (!upl) return upl.error();
    cfg.uploads_max_bytes = upl.value();
    auto poll = integer(c, "templates.poll_seconds", cfg.templates_poll_seconds, 0, 3600);
    if (!poll) return poll.error();
    cfg.templates_poll_seconds = poll.value();
    cfg.tftp_bind = c.getString("tftp.bind", cfg.tftp_bind);
    cfg.https_bind = c.getString("https.bind", cfg.https_bind);
    {
        const std::string names = c.getString("tls.server_names", "");
        size_t start = 0;
        while (start < names.size()) {
            size_t comma = names.find(',', start);
            if (comma == std::string::npos) comma = names.size();
            std::string n = names.substr(start, comma - start);
            n.erase(0, n.find_first_not_of(" \t"));
            n.erase(n.find_last_not_of(" \t") + 1);
            if (!n.empty()) {
                if (!text::isHost(n)) return Error::invalid("config: tls.server_names: '" + n + "' is not a host name or address");
                cfg.tls_server_names.push_back(n);
            }
            start = comma + 1;
        }
    }
    {
        const std::string legacy = c.getString("tls.legacy_phones", "false");
        if (legacy != "true" && legacy != "false")
            return Error::invalid("config: tls.legacy_phones must be true or false (got '" + legacy + "')");
        cfg.tls_legacy_phones = legacy == "true";
        cfg.https_client_cert = c.getString("https.client_cert", cfg.https_client_cert);
        if (cfg.https_client_cert != "none" && cfg.https_client_cert != "optional" && cfg.https_client_cert != "required")
            return Error::invalid("config: https.client_cert must be none, optional or required (got '" +
                                  cfg.https_client_cert + "')");
        const std::string require = c.getString("policy.secrets_require_client_cert", "false");
        if (require != "true" && require != "false")
            return Error::invalid("config: policy.secrets_require_client_cert must be true or false (got '" +
                                  require + "')");
        cfg.secrets_require_client_cert = require == "true";
    }
    for (auto [key, field, min, max] : {std::tuple{"tftp.loops", &cfg.tftp_loops, 1, 64},
                                        {"tftp.max_transfers", &cfg.tftp_max_transfers, 1, 1000000},
                                        {"tftp.max_per_source", &cfg.tftp_max_per_source, 1, 1000000}}) {
        auto v = integer(c, key, *field, min, max);
        if (!v) return v.error();
        *field = v.value();
    }
    for (auto [key, field] : {std::pair{"http.port", &cfg.http_port}, {"https.port", &cfg.https_port},
                              {"tftp.port", &cfg.tftp_port}, {"admin.port", &cfg.admin_port}}) {
        auto v = integer(c, key, *field, 0, 65535);
        if (!v) return v.error();
        *field = static_cast<int>(v.value());
    }
    auto lic = integer(c, "license.extensions", cfg.license_extensions, 0, 10'000'000);
    if (!lic) return lic.error();
    cfg.license_extensions = lic.value();
    auto unk = integer(c, "status.unknown_after", cfg.status_unknown_after, 1, 86400 * 365);
    if (!unk) return unk.error();
    cfg.status_unknown_after = unk.value();
    {
        const std::string admin_tls = c.getString("admin.tls", "false");
        if (admin_tls != "true" && admin_tls != "false")
            return Error::invalid("config: admin.tls must be true or false (got '" + admin_tls + "')");
        cfg.admin_tls = admin_tls == "true";
    }
    auto hloops = integer(c, "http.loops", cfg.http_loops, 1, 64);
    if (!hloops) return hloops.error();
    cfg.http_loops = hloops.value();
    auto hconns = integer(c, "http.max_connections", cfg.http_max_connections, 1, 1'000'000);
    if (!hconns) return hconns.error();
    cfg.http_max_connections = hconns.value();
    auto keep = integer(c, "events.keep_days", cfg.events_keep_days, 0, 36500);
    if (!keep) return keep.error();
    cfg.events_keep_days = keep.value();
    auto unassigned = integer(c, "devices.max_unassigned", cfg.devices_max_unassigned, 0, 10'000'000);
    if (!unassigned) return unassigned.error();
    cfg.devices_max_unassigned = unassigned.value();
    auto import_max = integer(c, "admin.max_import_bytes", cfg.admin_max_import_bytes, 1024, int64_t{1} << 32);
    if (!import_max) return import_max.error();
    cfg.admin_max_import_bytes = import_max.value();

    Poco::Net::IPAddress addr;
    if (!Poco::Net::IPAddress::tryParse(cfg.admin_bind, addr))
        return Error::invalid("config: admin.bind must be an IP address (got '" + cfg.admin_bind + "')");
    if (!Poco::Net::IPAddress::tryParse(cfg.http_bind, addr))
        return Error::invalid("config: http.bind must be an IP address (got '" + cfg.http_bind + "')");
    if (!Poco::Net::IPAddress::tryParse(cfg.tftp_bind, addr))
        return Error::invalid("config: tftp.bind must be an IP address (got '" + cfg.tftp_bind + "')");
    if (!Poco::Net::IPAddress::tryParse(cfg.https_bind, addr))
        return Error::invalid("config: https.bind must be an IP address (got '" + cfg.https_bind + "')");
    if (cfg.store_path.empty()) return Error::invalid("config: store.path must not be empty");
    static const std::set<std::string> kLevels = {"fatal", "critical", "error", "warning",
                                                  "notice", "information", "debug", "trace"};
    if (!kLevels.count(cfg.log_level))
        return Error::invalid("config: log.level must be one of error, warning, notice, information, debug");
    return cfg;
}

}  // namespace prov::app
