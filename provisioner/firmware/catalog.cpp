// The catalog's bookkeeping: what each image was verified as, the thread
// that hashes images, the serve gate and the rescan. Adding and removing
// images is catalog_add.cpp's, the manifest manifest.cpp's, targets
// targets.cpp's.

#include "provisioner/firmware/catalog.h"

#include <Poco/Logger.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "provisioner/firmware/manifest.h"

namespace prov::firmware {

namespace {

Poco::Logger& fwLog() { return Poco::Logger::get("provisioner"); }

}  // namespace

bool Catalog::Entry::servable() const { return checked && state == "ok"; }

Catalog::Catalog(Store& store, VendorLookup vendors, const Clock& clock, CatalogOptions options)
    : store_(store), vendors_(std::move(vendors)), clock_(clock), options_(std::move(options)) {}

Catalog::~Catalog() { stop(); }

void Catalog::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

Status Catalog::start(bool background) {
    sweepIncoming();
    TRY(load(false));
    TRY(importManifest());
    {
        std::lock_guard lock(mutex_);
        for (auto& [name, e] : entries_) {
            if (!e.checked) pending_.insert(e.id);
        }
        last_rescan_ = clock_.nowSeconds();
        started_ = true;
    }
    if (background) {
        thread_ = std::thread([this] { worker(); });
        return okStatus();
    }
    return verifyAll();
}

// An upload or copy cut off by a crash leaves its file in .incoming. Only
// those over an hour old go: a CLI add beside the running server may be
// writing one right now (and keeps touching it while it does).
void Catalog::sweepIncoming() {
    const std::string dir = options_.dir + "/" + kIncomingDir;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    const int64_t cutoff = clock_.nowSeconds() - kIncomingMaxAgeSeconds;
    int swept = 0;
    while (const dirent* entry = ::readdir(d)) {
        const std::string name = entry->d_name;
        if (name.rfind("image-", 0) != 0) continue;
        struct stat st {};
        if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!S_ISREG(st.st_mode) || st.st_mtim.tv_sec >= cutoff) continue;
        if (::unlinkat(::dirfd(d), name.c_str(), 0) == 0) ++swept;
    }
    ::closedir(d);
    if (swept > 0) fwLog().warning("firmware: removed %d unfinished upload(s) from %s", swept, dir);
}

// trust_store: an image new to this process is taken as the store says when
// its file still has the stamp recorded there (another process verified
// it); otherwise, and always at start, it waits to be hashed here.
Status Catalog::load(bool trust_store) {
    std::vector<FirmwareImage> rows;
    int64_t generation = 0;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        rows = TRY(tx.listFirmwareImages());
        generation = TRY(tx.configGeneration());
        return okStatus();
    }));
    std::map<std::string, Entry> next;
    std::vector<int64_t> to_check;
    {
        std::lock_guard lock(mutex_);
        for (const FirmwareImage& row : rows) {
            Entry e;
            e.id = row.id;
            e.state = row.state;
            e.verified = FileStamp{row.size, row.mtime_ns, row.inode};
            auto old = entries_.find(row.file);
            if (old != entries_.end() && old->second.id == row.id) {
                e.verified = old->second.verified;
                e.checked = old->second.checked;
            } else if (trust_store) {
                e.checked = stampOf(options_.dir + "/" + row.file) == e.verified;
            }
            if (!e.checked) to_check.push_back(e.id);
            next[row.file] = e;
        }
        entries_ = std::move(next);
        generation_ = generation;
        if (trust_store) pending_.insert(to_check.begin(), to_check.end());
    }
    if (trust_store && !to_check.empty()) wake_.notify_one();
    return okStatus();
}

void Catalog::queue(int64_t id) {
    {
        std::lock_guard lock(mutex_);
        pending_.insert(id);
    }
    wake_.notify_one();
}

void Catalog::worker() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (pending_.empty()) {
            wake_.wait(lock);
            continue;
        }
        const int64_t id = *pending_.begin();
        pending_.erase(pending_.begin());
        lock.unlock();
        if (auto st = verifyOne(id); !st)
            fwLog().error("firmware: cannot verify image %Ld: %s", id, st.error().message);
        lock.lock();
    }
}

Status Catalog::verifyAll() {
    std::vector<int64_t> ids;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, e] : entries_) ids.push_back(e.id);
        pending_.clear();
    }
    for (int64_t id : ids) TRY(verifyOne(id));
    return okStatus();
}

Status Catalog::verifyOne(int64_t id) {
    std::optional<FirmwareImage> row;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        row = TRY(tx.getFirmwareImage(id));
        return okStatus();
    }));
    if (!row) return okStatus();  // removed meanwhile
    const std::string path = options_.dir + "/" + row->file;
    std::string state = "missing";
    FileStamp seen;
    if (const auto before = stampOf(path)) {
        auto hashed = hashFile(path);
        const auto after = stampOf(path);
        if (after != before) {
            // Changed while it was read (still being copied?): again, from
            // the start, once it has had time to settle.
            bool was = false;
            {
                std::lock_guard lock(mutex_);
                delayed_[id] = clock_.nowSeconds() + kRehashDelaySeconds;
                auto it = entries_.find(row->file);
                if (it != entries_.end() && it->second.id == id) {
                    was = it->second.servable();
                    it->second.checked = false;  // refused, and not offered, until hashed
                }
            }
            if (was) changed();
            return okStatus();
        }
        seen = *before;
        const bool good =
            hashed && hashed.value().size == row->size && hashed.value().sha256 == row->sha256;
        state = good ? "ok" : "corrupt";
        if (!good)
            fwLog().error(
                "firmware: %s is corrupt (%Ld bytes, %Ld expected; SHA-256 %s): refused to phones",
                row->file, seen.size, row->size,
                hashed ? hashed.value().sha256 : std::string("unreadable"));
    } else {
        fwLog().error("firmware: %s is missing from %s: refused to phones", row->file,
                      options_.dir);
    }
    const int64_t now = clock_.nowSeconds();
    TRY(store_.write([&](StoreTx& tx) -> Status {
        return tx.putFirmwareCheck(id, state, seen.size, seen.mtime_ns, seen.inode, now);
    }));
    bool flipped = false;
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(row->file);
        if (it != entries_.end() && it->second.id == id) {
            const bool was = it->second.servable();
            it->second.verified = seen;
            it->second.checked = true;
            if (it->second.state != state) {
                fwLog().information("firmware: %s verified: %s", row->file, state);
            }
            it->second.state = state;
            flipped = was != it->second.servable();
        }
    }
    // Served again (or no longer): configs offer what the gate passes, and
    // the phones whose config changed so are pushed to fetch it.
    if (row->state != state || flipped) {
        if (auto st = markOffering(*row); !st)
            fwLog().error("firmware: cannot mark the devices offered %s stale: %s", row->file, st.error().message);
        changed();
    }
    return okStatus();
}

// The entry a fetch reaches: by the name asked for, by the name the path
// resolves to (a symbolic link to an image), or by inode (a hard link);
// so that no other name for an image serves it unchecked.
Gate Catalog::gate(const std::string& name, const FileStamp& stamp, const std::string& real_name) {
    std::unique_lock lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end() && !real_name.empty()) it = entries_.find(real_name);
    if (it == entries_.end() && stamp.inode != 0) {
        it = std::find_if(entries_.begin(), entries_.end(),
                          [&](const auto& kv) { return kv.second.verified.inode == stamp.inode; });
    }
    if (it == entries_.end()) return options_.catalog_only ? Gate::kRefuse : Gate::kNotListed;
    Entry& e = it->second;
    if (!e.checked) return Gate::kRefuse;  // queued already
    if (delayed_.count(e.id)) return Gate::kRefuse;  // changed while hashed: poll() queues it
    if (stamp != e.verified) {
        const bool was = e.servable();
        e.checked = false;
        pending_.insert(e.id);
        lock.unlock();
        wake_.notify_one();
        if (was) changed();  // configs stop offering it until it checks out
        fwLog().warning(
            "firmware: %s changed since it was verified: refused until it is hashed again",
            it->first);
        return Gate::kRefuse;
    }
    return e.state == "ok" ? Gate::kServe : Gate::kRefuse;
}

void Catalog::poll() {
    int64_t generation = -1;
    const Status st = store_.read([&](StoreTx& tx) -> Status {
        generation = TRY(tx.configGeneration());
        return okStatus();
    });
    bool reload = false;
    {
        std::lock_guard lock(mutex_);
        reload = st && generation != generation_;
    }
    if (reload) {
        if (auto l = load(true); !l)
            fwLog().error("firmware: cannot reload the catalog: %s", l.error().message);
    }
    const int64_t now = clock_.nowSeconds();
    {
        std::lock_guard lock(mutex_);
        bool due = false;
        for (auto it = delayed_.begin(); it != delayed_.end();) {
            if (it->second > now) {
                ++it;
                continue;
            }
            pending_.insert(it->first);
            it = delayed_.erase(it);
            due = true;
        }
        if (due) wake_.notify_one();
    }
    // A rollout's move is re-checked under the writers' lock (tickRollouts),
    // so two nodes would not both make it; the leader alone looks, once.
    if (now - last_tick_ >= kRolloutTickSeconds && (!options_.leads || options_.leads())) {
        last_tick_ = now;
        if (auto t = tickRollouts(); !t) fwLog().error("firmware: cannot move the rollouts on: %s", t.error().message);
    }
    std::vector<std::pair<std::string, Entry>> checked;
    {
        std::lock_guard lock(mutex_);
        if (now - last_rescan_ < options_.rescan_seconds) return;
        last_rescan_ = now;
        for (const auto& [name, e] : entries_) {
            if (e.checked) checked.emplace_back(name, e);
        }
    }
    // Stat only, outside the lock: a changed file is hashed by the worker.
    for (const auto& [name, e] : checked) {
        const auto now_stamp = stampOf(options_.dir + "/" + name);
        const FileStamp seen = now_stamp ? *now_stamp : FileStamp{};
        if (seen == e.verified) continue;
        bool was = false;
        {
            std::lock_guard lock(mutex_);
            auto it = entries_.find(name);
            if (it != entries_.end() && it->second.id == e.id) {
                was = it->second.servable();
                it->second.checked = false;
            }
        }
        queue(e.id);
        if (was) changed();
    }
}

bool Catalog::servable(const std::string& file) const {
    std::lock_guard lock(mutex_);
    if (!started_) return true;
    auto it = entries_.find(file);
    return it != entries_.end() && it->second.servable();
}

Result<std::vector<FirmwareImage>> Catalog::list() const {
    std::vector<FirmwareImage> rows;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        rows = TRY(tx.listFirmwareImages());
        return okStatus();
    }));
    // An image waiting to be hashed again shows as such.
    std::lock_guard lock(mutex_);
    for (FirmwareImage& r : rows) {
        auto it = entries_.find(r.file);
        if (it != entries_.end() && it->second.id == r.id && !it->second.checked)
            r.state = "verifying";
    }
    return rows;
}

Result<FirmwareImage> Catalog::get(int64_t id) const {
    for (FirmwareImage& r : TRY(list())) {
        if (r.id == id) return r;
    }
    return Error::notFound("no firmware image " + std::to_string(id));
}

void Catalog::changed() const {
    if (options_.on_change) options_.on_change();
}

Status Catalog::markOffering(const FirmwareImage& image) {
    const std::optional<VendorModels> vendor = vendors_ ? vendors_(image.vendor) : std::nullopt;
    if (!vendor) return okStatus();
    return store_.write([&](StoreTx& tx) -> Status {
        for (const FirmwareTarget& t : TRY(tx.listFirmwareTargets(image.vendor))) {
            if (t.version == image.version && image.forModel(t.model)) TRY(markReached(tx, *vendor, t));
        }
        return okStatus();
    });
}

}  // namespace prov::firmware
