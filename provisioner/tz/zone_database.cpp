#include "provisioner/tz/zone_database.h"

#include <cctype>
#include <cstdio>
#include <cstring>

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

std::shared_ptr<const ZoneDatabase::NameSet> ZoneDatabase::readNames() const {
    std::FILE* f = std::fopen((root_ + "/tzdata.zi").c_str(), "r");
    if (!f) return nullptr;
    auto names = std::make_shared<NameSet>();
    // "Z Europe/Paris ..." names a zone, "L Europe/Paris Europe/Monaco" a
    // link (its second name). Lines are short; a longer one is cut and its
    // rest skipped.
    char line[512];
    bool line_start = true;
    while (std::fgets(line, sizeof line, f)) {
        const bool starts = line_start;
        line_start = std::strchr(line, '\n') != nullptr;
        if (!starts || (line[0] != 'Z' && line[0] != 'L') || line[1] != ' ') continue;
        char first[256] = {0};
        char second[256] = {0};
        const int n = std::sscanf(line + 2, "%255s %255s", first, second);
        if (line[0] == 'Z' && n >= 1) names->insert(first);
        if (line[0] == 'L' && n == 2) names->insert(second);
    }
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed || names->empty()) return nullptr;
    return names;
}

bool ZoneDatabase::listed(const std::string& name, int64_t now) {
    std::shared_ptr<const NameSet> names;
    {
        std::lock_guard lock(mutex_);
        if (names_read_ && now - names_read_at_ < kMaxAgeSeconds && now >= names_read_at_) {
            names = names_;
        } else {
            // Some 600 names, read hourly: under the lock, so one caller reads.
            std::shared_ptr<const NameSet> fresh = readNames();
            if (fresh || !names_read_) names_ = fresh;  // a failed re-read keeps the list
            names_read_ = true;
            names_read_at_ = now;
            names = names_;
        }
    }
    if (!names) {
        // No list: any zone file but the database's own non-zone files.
        const std::string_view top = std::string_view(name).substr(0, name.find('/'));
        return top != "posix" && top != "right" && top != "localtime" && top != "posixrules";
    }
    return names->count(name) != 0;
}

std::shared_ptr<const Zone> ZoneDatabase::find(const std::string& name, int64_t now) {
    if (!isSafeZoneName(name) || !listed(name, now)) return nullptr;
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
    if (!zone) {
        // A re-read that fails keeps the copy it had (files being replaced).
        const auto it = entries_.find(name);
        if (it != entries_.end() && it->second.zone) {
            it->second.read_at = now;
            return it->second.zone;
        }
    }
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
