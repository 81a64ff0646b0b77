#include "provisioner/app/server_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Path.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include "provisioner/app/config_keys.h"
#include "provisioner/core/text.h"
#include "provisioner/mail/message.h"
#include "provisioner/resync/hook.h"

namespace prov::app {

namespace {

using Poco::AutoPtr;
using Poco::Util::AbstractConfiguration;
using Poco::Util::LayeredConfiguration;

Result<AutoPtr<AbstractConfiguration>> readFile(const std::string& file) {
    if (!Poco::File(file).exists())
        return Error::invalid("config: cannot read " + file + ": no such file");
    try {
        if (Poco::Path(file).getExtension() == "ini")
            return AutoPtr<AbstractConfiguration>(new Poco::Util::IniFileConfiguration(file));
        return AutoPtr<AbstractConfiguration>(new Poco::Util::PropertyFileConfiguration(file));
    } catch (const Poco::Exception& e) {
        return Error::invalid("config: cannot read " + file + ": " + e.displayText());
    }
}

// -D over the file; and what a relative path is taken from.
struct Layers {
    AutoPtr<LayeredConfiguration> all;
    AutoPtr<AbstractConfiguration> file;  // null without -c
    std::string folder;                   // the file's folder, absolute, symbolic links resolved
};

Result<Layers> layers(const ConfigSources& sources) {
    Layers out{new LayeredConfiguration(), {}, {}};
    AutoPtr<Poco::Util::MapConfiguration> defines = new Poco::Util::MapConfiguration();
    for (const auto& [k, v] : sources.defines) defines->setString(k, v);
    out.all->add(defines, 0);
    if (!sources.file.empty()) {
        out.file = TRY(readFile(sources.file));
        out.all->add(out.file, 10);
        std::error_code ec;
        const auto folder =
            std::filesystem::canonical(std::filesystem::absolute(sources.file).parent_path(), ec);
        if (ec) return Error::invalid("config: cannot find the folder of " + sources.file + ": " + ec.message());
        out.folder = folder.string();
    }
    return out;
}

// A relative path from the configuration file is the file's folder's: the
// file and what it names move together (a checkout, /etc/provisioner), and
// the command may run from anywhere (systemd starts it in /). Leading ".."
// steps are taken on the folder's name, which holds no symbolic link, so
// "../var/x.db" is what the kernel would find; the rest is kept as written.
// A path from -D or a default stays relative to the working directory, as a
// shell user means it.
std::string fromFolder(const std::string& folder, const std::string& value) {
    if (value.empty() || value == ":memory:" || value.front() == '/') return value;
    std::filesystem::path base(folder);
    std::string_view rest(value);
    while (!rest.empty()) {  // each turn takes a step off `rest`, or ends
        if (rest.rfind("./", 0) == 0) {
            rest.remove_prefix(2);
        } else if (rest.rfind("../", 0) == 0 || rest == "..") {
            base = base.parent_path();
            rest.remove_prefix(std::min<size_t>(3, rest.size()));
        } else if (rest == ".") {
            rest.remove_prefix(1);
        } else {
            break;
        }
        while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    }
    return rest.empty() ? base.string() : (base / std::string(rest)).string();
}

std::string pathValue(const Layers& l, const ConfigSources& sources, const std::string& name,
                      const std::string& value) {
    for (const auto& define : sources.defines) {
        if (define.first == name) return value;
    }
    if (l.file && l.file->hasProperty(name)) return fromFolder(l.folder, value);
    return value;
}

void collectKeys(const AbstractConfiguration& c, const std::string& prefix,
                 std::vector<std::string>& out) {
    AbstractConfiguration::Keys keys;
    c.keys(prefix, keys);
    if (keys.empty() && !prefix.empty()) out.push_back(prefix);
    for (const auto& k : keys) collectKeys(c, prefix.empty() ? k : prefix + "." + k, out);
}

// Every key given is in the table; a removed one says why it went.
Status checkNames(const AbstractConfiguration& c) {
    std::vector<std::string> names;
    collectKeys(c, "", names);
    for (const std::string& name : names) {
        for (const RemovedKey& r : removedKeys()) {
            if (r.name == name)
                return Error::invalid("config: " + name + " was removed: " + std::string(r.reason));
        }
        if (!findKey(name)) return Error::invalid("config: unknown key '" + name + "'");
    }
    return okStatus();
}

// store.url is a libpq URI; anything else (a key=value connection string,
// a typo'd scheme) is refused here rather than by the first connection.
Status checkStoreUrl(const ServerConfig& config) {
    const std::string& url = config.store_url;
    if (url.empty()) return okStatus();
    if ((url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) ||
        url.find_first_of(" \t\r\n") != std::string::npos)
        // Not echoed: the value may carry a password.
        return Error::invalid("config: store.url must be a postgresql:// URL without spaces");
    return okStatus();
}

// Whether a libpq URI carries a password: user:PASSWORD@ before the host,
// or a password= parameter.
bool urlHasPassword(const std::string& url) {
    const size_t scheme = url.find("://");
    if (scheme == std::string::npos) return false;
    const size_t start = scheme + 3;
    const size_t authority_end = std::min(url.find('/', start), url.find('?', start));
    const std::string authority = url.substr(start, authority_end == std::string::npos ? std::string::npos
                                                                                       : authority_end - start);
    if (const size_t at = authority.rfind('@'); at != std::string::npos) {
        const size_t colon = authority.find(':');
        if (colon < at && colon + 1 < at) return true;
    }
    const size_t query = url.find('?', start);
    for (size_t p = query; p != std::string::npos; p = url.find('&', p + 1)) {
        if (url.compare(p + 1, 9, "password=") == 0 && p + 10 < url.size() && url[p + 10] != '&') return true;
    }
    return false;
}

// A password in store.url is as safe as the file that holds it: a file
// every local user may read is refused (the server does not start). Readable
// by its group is allowed: the package gives the file root:provisioner 0640
// so that the service reads it; that group is the service's own.
Status checkStoreUrlFile(const Layers& l, const ConfigSources& sources) {
    if (!l.file || !l.file->hasProperty("store.url") || !urlHasPassword(l.file->getString("store.url")))
        return okStatus();
    struct stat st {};
    if (::stat(sources.file.c_str(), &st) != 0 || !(st.st_mode & S_IROTH)) return okStatus();
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error::invalid("config: store.url holds a password and " + sources.file +
                          " is readable by every user (mode " + mode +
                          "): chmod o-r it, or keep the password in the service user's ~/.pgpass or PGPASSFILE");
}

// resync.hook is split into words once, here, so a mistake in it stops the
// start instead of failing every push.
Status checkResync(ServerConfig& config) {
    if (!config.resync_hook.empty())
        config.resync_hook_argv = TRY(resync::parseHook(config.resync_hook)).argv;
    if (config.resync_route == "hook" && config.resync_hook.empty())
        return Error::invalid("config: resync.route is hook but resync.hook is not set");
    if (!config.resync_advertise.empty() && !text::isHost(config.resync_advertise))
        return Error::invalid("config: resync.advertise must be a host name or address (got '" +
                              config.resync_advertise + "')");
    return okStatus();
}

// "90", "90s", "15m", "12h", "7d" -> seconds; nullopt for anything else.
std::optional<int64_t> parseDuration(const std::string& text) {
    if (text.empty() || text.size() > 12) return std::nullopt;
    int64_t unit = 1;
    std::string digits = text;
    switch (text.back()) {
        case 's': unit = 1; digits.pop_back(); break;
        case 'm': unit = 60; digits.pop_back(); break;
        case 'h': unit = 3600; digits.pop_back(); break;
        case 'd': unit = 86400; digits.pop_back(); break;
        default: break;
    }
    if (digits.empty() || !text::isDigits(digits)) return std::nullopt;
    return std::stoll(digits) * unit;
}

// The mail keys are read once, here: a bad one stops the start.
Status checkMail(ServerConfig& config) {
    const auto valid = parseDuration(config.invitations_valid_for);
    if (!valid || *valid < 60 || *valid > 90 * 86400)
        return Error::invalid("config: invitations.valid_for must be a duration from 1m to 90d such as 7d, "
                              "12h or 30m (got '" + config.invitations_valid_for + "')");
    config.invitations_valid_seconds = *valid;
    config.smtp_retry_seconds.clear();
    size_t start = 0;
    while (start <= config.smtp_retry.size() && config.smtp_retry_seconds.size() < 20) {
        const size_t comma = config.smtp_retry.find(',', start);
        std::string item = config.smtp_retry.substr(start, comma == std::string::npos ? comma : comma - start);
        item = text::trim(item);
        const auto d = parseDuration(item);
        if (!d || *d < 1 || *d > 86400)
            return Error::invalid("config: smtp.retry must be durations from 1s to 1d separated by commas "
                                  "(got '" + config.smtp_retry + "')");
        config.smtp_retry_seconds.push_back(*d);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    const std::string& url = config.invitations_base_url;
    if (!url.empty() && (url.rfind("https://", 0) != 0 || url.find_first_of("\"'<> \t\r\n?#") != std::string::npos))
        return Error::invalid("config: invitations.base_url must be an https:// URL such as "
                              "https://phones.example.com:8443 (got '" + url + "')");
    while (!config.invitations_base_url.empty() && config.invitations_base_url.back() == '/')
        config.invitations_base_url.pop_back();
    if (!config.smtp_host.empty() && config.smtp_from.empty())
        return Error::invalid("config: smtp.from must be an e-mail address when smtp.host is set");
    // The check every e-mail's sender meets at send time (mail/message.h): a
    // sender it refuses would fail every invitation, one by one, much later.
    if (!config.smtp_from.empty() && !mail::isPlainAddress(config.smtp_from))
        return Error::invalid("config: smtp.from must be a plain e-mail address such as pbx@example.com, "
                              "one line without spaces, quotes or angle brackets (got " +
                              text::forLog(config.smtp_from) + ")");
    return okStatus();
}

bool isLoopback(const std::string& address) {
    try {
        return Poco::Net::IPAddress(address).isLoopback();
    } catch (const Poco::Exception&) {
        return false;  // applyKey checked it is an address
    }
}

}  // namespace

Result<ServerConfig> loadConfig(const ConfigSources& sources) {
    const Layers l = TRY(layers(sources));
    TRY(checkNames(*l.all));
    ServerConfig config;
    for (const ConfigKey& key : configKeys()) {
        const std::string name(key.name);
        std::string value = l.all->getString(name, std::string(key.default_value));
        if (key.type == KeyType::kPath) value = pathValue(l, sources, name, value);
        TRY(applyKey(key, value, config));
    }
    TRY(checkStoreUrl(config));
    TRY(checkStoreUrlFile(l, sources));
    // Beside the store, where the server already writes (on PostgreSQL,
    // store.path's folder is where admin-token goes).
    if (config.events_spool_dir.empty())
        config.events_spool_dir = (std::filesystem::path(config.store_path).parent_path() / "events-spool").string();
    TRY(checkResync(config));
    TRY(checkMail(config));
    // Portal passwords and session cookies must not cross a network in the
    // clear: off the loopback the admin port always speaks HTTPS. Turned on
    // rather than refused: the server always has a certificate (made when
    // absent), and a server that served the API on a LAN address before
    // should start after an upgrade, saying what changed.
    if (!config.admin_tls && !isLoopback(config.admin_bind)) {
        config.admin_tls = true;
        config.admin_tls_automatic = true;
    }
    return config;
}

}  // namespace prov::app
