#include "provisioner/tz/zone_database.h"

#include <cctype>
#include <cstdio>

namespace prov::tz {

namespace {

constexpr int64_t kMaxAgeSeconds = 3600;
// Settings name a handful of zones; past this many the answers are not kept,
// so a flood of made-up names cannot grow the cache.
constexpr size_t kMaxEntries = 1024;
// The largest zone file is a few kilobytes.
constexpr size_t kMaxFileBytes = 1 << 20;

bool zoneChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
           c == '.';
}

}  // namespace

bool isSafeZoneName(std::string_view name) {
    if (name.empty() || name.size() > 255) return false;
    size_t start = 0;
    while (start <= name.size()) {
        size_t slash = name.find('/', start);
        if (slash == std::string_view::npos) slash = name.size();
        const std::string_view part = name.substr(start, slash - start);
        if (part.empty() || part == "." || part == "..") return false;
        for (char c : part) {
            if (!zoneChar(c)) return false;
        }
        start = slash + 1;
    }
    return true;
}

std::shared_ptr<const Zone> ZoneDatabase::read(const std::string& name) const {
    if (!isSafeZoneName(name)) return nullptr;
    std::FILE* f = std::fopen((root_ + "/" + name).c_str(), "rb");
    if (!f) return nullptr;
    std::string bytes(kMaxFileBytes + 1, '\0');
    // A folder opens but does not read (EISDIR): it is no zone either.
    const size_t n = std::fread(bytes.data(), 1, bytes.size(), f);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed || n == 0 || n > kMaxFileBytes) return nullptr;
    bytes.resize(n);
    auto zone = parseTzif(bytes);
    if (!zone) return nullptr;
    return std::make_shared<const Zone>(std::move(zone).value());
}

std::shared_ptr<const Zone> ZoneDatabase::find(const std::string& name, int64_t now) {
    {
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(name);
        if (it != entries_.end() && now - it->second.read_at < kMaxAgeSeconds &&
            now >= it->second.read_at)
            return it->second.zone;
    }
    // Read outside the lock: a slow disk holds up only this caller.
    std::shared_ptr<const Zone> zone = read(name);
    std::lock_guard lock(mutex_);
    // Misses are not kept: names sent to the admin API must not fill the
    // cache and push real zones out of it.
    if (zone && (entries_.size() < kMaxEntries || entries_.count(name))) entries_[name] = Entry{zone, now};
    return zone;
}

ZoneDatabase& ZoneDatabase::system() {
    static ZoneDatabase database;
    return database;
}

}  // namespace prov::tz
