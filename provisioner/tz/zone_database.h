#pragma once

// Time zones by IANA name ("Europe/Paris"), read from the system's zone
// database (/usr/share/zoneinfo) with the TZif reader, never through the
// process environment (TZ, tzset). Parsed zones are kept; safe from any thread.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "provisioner/tz/tzif.h"

namespace prov::tz {

// A name that stays inside the database folder: relative, components of
// letters, digits, '_', '-', '+' and '.', none of them "." or "..".
bool isSafeZoneName(std::string_view name);

class ZoneDatabase {
  public:
    explicit ZoneDatabase(std::string root = "/usr/share/zoneinfo") : root_(std::move(root)) {}

    // The zone `name`, or null when it is no zone: an unsafe name, a name
    // the database's tzdata.zi does not list (when it has one: posix/...,
    // right/..., localtime and posixrules are files, not zone names), no
    // such file, a folder, a file that is not TZif or is malformed. `now`
    // (seconds since the epoch) ages the cache: a zone read over an hour
    // before is read again, so an updated database is taken without a
    // restart; a re-read that fails keeps the copy read before (a package
    // upgrade replacing the files).
    std::shared_ptr<const Zone> find(const std::string& name, int64_t now);

    // The database under /usr/share/zoneinfo, shared by the whole process.
    static ZoneDatabase& system();

  private:
    struct Entry {
        std::shared_ptr<const Zone> zone;  // null: not a zone
        int64_t read_at = 0;
    };
    using NameSet = std::set<std::string, std::less<>>;
    std::shared_ptr<const Zone> read(const std::string& name) const;
    // Whether tzdata.zi lists `name` as a zone or a link; true when the
    // database has no tzdata.zi (then any zone file counts).
    bool listed(const std::string& name, int64_t now);
    std::shared_ptr<const NameSet> readNames() const;

    const std::string root_;
    std::mutex mutex_;
    std::map<std::string, Entry, std::less<>> entries_;
    std::shared_ptr<const NameSet> names_;  // null: no tzdata.zi
    int64_t names_read_at_ = 0;
    bool names_read_ = false;
};

}  // namespace prov::tz
