#include "provisioner/render/timezone.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>

#include <sys/stat.h>

namespace prov {

namespace {

std::optional<int> parseOffset(const std::string& tz) {
    if (tz.empty() || (tz[0] != '+' && tz[0] != '-')) return std::nullopt;
    int h = 0, m = 0;
    char extra = 0;
    if (std::sscanf(tz.c_str() + 1, "%d:%d%c", &h, &m, &extra) == 2 ||
        (std::sscanf(tz.c_str() + 1, "%d%c", &h, &extra) == 1 && tz.find(':') == std::string::npos)) {
        const int minutes = h * 60 + m;
        return tz[0] == '-' ? -minutes : minutes;
    }
    return std::nullopt;
}

// Zone files start with the TZif magic; zone.tab, leapseconds and the like do not.
bool isZoneFile(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    char magic[4] = {0};
    const size_t n = std::fread(magic, 1, 4, f);
    std::fclose(f);
    return n == 4 && std::memcmp(magic, "TZif", 4) == 0;
}

// IANA names go through the C library, which reads the zone from TZ: that is
// process state, so it is switched under a lock and the answer cached.
std::optional<int> ianaOffset(const std::string& name) {
    static std::mutex mutex;
    static std::map<std::string, std::pair<std::time_t, std::optional<int>>> cache;
    std::lock_guard lock(mutex);
    const std::time_t now = std::time(nullptr);
    if (auto it = cache.find(name); it != cache.end() && now - it->second.first < 3600) return it->second.second;
    std::optional<int> result;
    struct stat st{};
    if (name == "UTC" || name == "GMT") {
        result = 0;
    } else if (!name.empty() && name[0] != '/' && name.find("..") == std::string::npos &&
               stat(("/usr/share/zoneinfo/" + name).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
               isZoneFile("/usr/share/zoneinfo/" + name)) {
        const char* old = std::getenv("TZ");
        const std::string saved = old ? old : "";
        setenv("TZ", name.c_str(), 1);
        tzset();
        std::tm tm{};
        localtime_r(&now, &tm);
        result = static_cast<int>(tm.tm_gmtoff / 60);
        if (old) {
            setenv("TZ", saved.c_str(), 1);
        } else {
            unsetenv("TZ");
        }
        tzset();
    }
    cache[name] = {now, result};
    return result;
}

}  // namespace

std::optional<int> utcOffsetMinutes(const std::string& timezone) {
    if (auto off = parseOffset(timezone)) return off;
    return ianaOffset(timezone);
}

std::string formatOffsetShort(int minutes) {
    const char sign = minutes < 0 ? '-' : '+';
    const int a = minutes < 0 ? -minutes : minutes;
    char buf[16];
    if (a % 60) {
        std::snprintf(buf, sizeof buf, "%c%d:%02d", sign, a / 60, a % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%c%d", sign, a / 60);
    }
    return buf;
}

std::string formatOffsetGmt(int minutes) {
    const char sign = minutes < 0 ? '-' : '+';
    const int a = minutes < 0 ? -minutes : minutes;
    char buf[16];
    std::snprintf(buf, sizeof buf, "GMT%c%02d:%02d", sign, a / 60, a % 60);
    return buf;
}

std::string formatOffsetPosix(int minutes) {
    const int a = minutes < 0 ? -minutes : minutes;
    char name[16];
    char rule[16];
    if (a % 60) {
        std::snprintf(name, sizeof name, "<%c%02d%02d>", minutes < 0 ? '-' : '+', a / 60, a % 60);
        std::snprintf(rule, sizeof rule, "%s%d:%02d", minutes > 0 ? "-" : "", a / 60, a % 60);
    } else {
        std::snprintf(name, sizeof name, "<%c%02d>", minutes < 0 ? '-' : '+', a / 60);
        std::snprintf(rule, sizeof rule, "%s%d", minutes > 0 ? "-" : "", a / 60);
    }
    return std::string(name) + rule;
}

}  // namespace prov
