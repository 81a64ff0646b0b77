#include "provisioner/service/event_spool.h"

#include <Poco/Logger.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "provisioner/core/private_file.h"

namespace prov {

namespace {

constexpr std::string_view kSuffix = ".batch";
constexpr size_t kDigits = 20;

// "00000000000000000042.batch" -> 42; nullopt for any other name (a .bad
// file, a temporary one, an operator's note).
std::optional<uint64_t> sequenceOf(const std::string& name) {
    if (name.size() != kDigits + kSuffix.size() ||
        name.compare(kDigits, std::string::npos, kSuffix) != 0)
        return std::nullopt;
    if (!std::all_of(name.begin(), name.begin() + kDigits, [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + kDigits, v);
    if (ec != std::errc() || end != name.data() + kDigits) return std::nullopt;
    if (v == UINT64_MAX) return std::nullopt;  // the next number would wrap to 0
    return v;
}

// Twenty digits, but UINT64_MAX or past it: not a name this code writes, and
// its number (or the next) would wrap.
bool outOfRange(const std::string& name) {
    if (name.size() != kDigits + kSuffix.size() ||
        name.compare(kDigits, std::string::npos, kSuffix) != 0)
        return false;
    return std::all_of(name.begin(), name.begin() + kDigits,
                       [](char c) { return c >= '0' && c <= '9'; }) &&
           !sequenceOf(name);
}

std::string nameOf(uint64_t sequence) {
    char buf[kDigits + 1];
    std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(sequence));
    return std::string(buf) + std::string(kSuffix);
}

// A spool file is at most as large as the spool: anything larger was not
// written by this code and is not read into memory.
Result<std::string> readFile(const std::string& path, uint64_t limit) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        if (err == ENOENT) return Error::notFound(path + " does not exist");
        return Error::internal("cannot read " + path + ": " + std::strerror(err));
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return Error::internal("cannot read " + path + ": " + ec.message());
    if (size > limit) return Error::invalid("event spool file: larger than events.spool_max_mb");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (in.bad()) return Error::internal("cannot read " + path);
    return bytes.str();
}

Poco::Logger& log() { return Poco::Logger::get("events"); }

}  // namespace

Result<std::unique_ptr<EventSpool>> EventSpool::open(const std::string& dir, uint64_t max_bytes) {
    TRY(makePrivateDirectories(dir));
    std::unique_ptr<EventSpool> spool(new EventSpool(dir, max_bytes));
    const std::string lock = dir + "/lock";
    spool->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (spool->lock_fd_ < 0)
        return Error::internal("cannot open " + lock + ": " + std::strerror(errno));
    if (::flock(spool->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return Error::conflict("spool_locked",
                                   "the event spool " + dir + " is in use by another process");
        return Error::internal("cannot lock " + lock + ": " + std::strerror(errno));
    }
    TRY(spool->scan());
    return spool;
}

EventSpool::~EventSpool() {
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status EventSpool::scan() {
    std::vector<std::string> names;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end;
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        // writePrivateFile's temporary name: a crash before the rename left
        // it, and the batch in it was never counted as spooled.
        if (name.size() > 8 && name.compare(name.size() - 8, 8, ".partial") == 0) {
            std::error_code ignored;  // one left: it is never read
            std::filesystem::remove(it->path(), ignored);
            continue;
        }
        if (const auto sequence = sequenceOf(name)) {
            names.push_back(name);
            next_sequence_ = std::max(next_sequence_, *sequence + 1);
        } else if (outOfRange(name)) {
            setAside(name, "its number is past the largest a spool file takes");
        } else if (name.size() > 4 && name.compare(name.size() - 4, 4, ".bad") == 0) {
            // Numbers go on past the files set aside too, so that a batch
            // set aside later never takes (and replaces) their .bad name.
            if (const auto aside = sequenceOf(name.substr(0, name.size() - 4)))
                next_sequence_ = std::max(next_sequence_, *aside + 1);
        }
    }
    if (ec) return Error::internal("cannot read the event spool " + dir_ + ": " + ec.message());
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
        auto bytes = readFile(dir_ + "/" + name, max_bytes_);
        if (!bytes && bytes.error().code == Code::kInternal) {
            // Unreadable now (EMFILE, EIO), not damaged: kept in its turn,
            // uncounted until oldest() reads it.
            log().warning("cannot read the spool file %s now, tried again in its turn: %s", name,
                          bytes.error().message);
            files_.push_back(File{name, 0, 0});
            ++batches_;
            continue;
        }
        auto batch = bytes ? decodeEventBatch(bytes.value()) : Result<EventBatch>(bytes.error());
        if (!batch) {
            setAside(name, batch.error().message);
            continue;
        }
        files_.push_back(File{name, bytes.value().size(), batch.value().events.size()});
        ++batches_;
        events_ += batch.value().events.size();
        bytes_ += bytes.value().size();
    }
    return okStatus();
}

Result<EventSpool::Added> EventSpool::append(const EventBatch& batch) {
    const std::string bytes = encodeEventBatch(batch);
    if (bytes_.load() + bytes.size() > max_bytes_) return Added::kFull;
    const std::string name = nameOf(next_sequence_);
    TRY(writePrivateFile(dir_ + "/" + name, bytes, FileSync::kDurable));
    ++next_sequence_;
    files_.push_back(File{name, bytes.size(), batch.events.size()});
    ++batches_;
    events_ += batch.events.size();
    bytes_ += bytes.size();
    return Added::kSpooled;
}

Result<std::optional<EventBatch>> EventSpool::oldest() {
    while (!files_.empty()) {
        const std::string name = files_.front().name;
        auto bytes = readFile(dir_ + "/" + name, max_bytes_);
        if (!bytes && bytes.error().code == Code::kNotFound) {
            // Removed by hand: nothing left to store or to set aside.
            log().error("spool file %s/%s is gone, its events not stored", dir_, name);
            dropFront();
            continue;
        }
        // A read that failed (EMFILE, EIO) says nothing about the file: it
        // stays, and is read again at the next try.
        if (!bytes) return bytes.error();
        auto batch = decodeEventBatch(bytes.value());
        if (batch) return std::optional<EventBatch>(std::move(batch).value());
        // Changed since it was written (it parsed then): kept for a look,
        // out of the way of the batches after it.
        setAsideOldest(batch.error().message);
    }
    return std::optional<EventBatch>();
}

Status EventSpool::removeOldest() {
    if (files_.empty()) return okStatus();
    const std::string path = dir_ + "/" + files_.front().name;
    // Forgotten whatever unlink says: a file that stays would be replayed
    // at the next start, which its batch id makes harmless.
    dropFront();
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return Error::internal("cannot remove " + path + ": " + std::strerror(errno));
    return okStatus();
}

void EventSpool::setAsideOldest(const std::string& why) {
    if (files_.empty()) return;
    setAside(files_.front().name, why);
    dropFront();
}

void EventSpool::dropFront() {
    const File& f = files_.front();
    --batches_;
    events_ -= f.events;
    bytes_ -= f.bytes;
    files_.pop_front();
}

void EventSpool::setAside(const std::string& name, const std::string& why) {
    const std::string path = dir_ + "/" + name;
    if (std::rename(path.c_str(), (path + ".bad").c_str()) != 0) {
        log().error("cannot set the spool file %s aside (%s): %s", path, why,
                    std::string(std::strerror(errno)));
        return;
    }
    log().error("spool file %s set aside as %s.bad, its events not stored: %s", path, name, why);
}

}  // namespace prov
