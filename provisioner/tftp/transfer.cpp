#include "provisioner/tftp/transfer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "provisioner/core/text.h"

namespace prov::tftp {

bool MemorySource::read(uint64_t offset, size_t len, std::string& out) {
    out.clear();
    if (offset < data_.size()) out.assign(data_, offset, std::min<uint64_t>(len, data_.size() - offset));
    return true;
}

Result<std::unique_ptr<FileSource>> FileSource::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return Error::notFound(path + ": " + std::strerror(errno));
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return Error::notFound(path + " is not a regular file");
    }
    return std::unique_ptr<FileSource>(new FileSource(fd, static_cast<uint64_t>(st.st_size)));
}

FileSource::~FileSource() { ::close(fd_); }

namespace {

// Reads up to `len` bytes at `offset` into `out` (resized to what was read).
bool preadAll(int fd, uint64_t offset, size_t len, std::string& out) {
    out.resize(len);
    size_t got = 0;
    while (got < len) {
        const ssize_t n = ::pread(fd, out.data() + got, len - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    out.resize(got);
    return true;
}

}  // namespace

bool FileSource::read(uint64_t offset, size_t len, std::string& out) {
    constexpr size_t kAhead = 256 * 1024;
    if (offset >= ahead_offset_ && offset + len <= ahead_offset_ + ahead_.size()) {
        out.assign(ahead_, offset - ahead_offset_, len);
        return true;
    }
    if (len < kAhead) {
        // Refill the read-ahead window from `offset`, then serve from it.
        if (!preadAll(fd_, offset, kAhead, ahead_)) return false;
        ahead_offset_ = offset;
        out.assign(ahead_, 0, std::min(len, ahead_.size()));
        return true;
    }
    return preadAll(fd_, offset, len, out);
}

std::string toNetascii(std::string_view octets) {
    std::string out;
    out.reserve(octets.size() + octets.size() / 16);
    for (char c : octets) {
        if (c == '\n') {
            out += "\r\n";
        } else if (c == '\r') {
            out.push_back('\r');
            out.push_back('\0');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Result<Negotiated> negotiate(const std::map<std::string, std::string>& options, uint64_t size, const Limits& limits) {
    Negotiated n;
    n.timeout_us = limits.default_timeout_us;
    auto number = [](const std::string& v, long max) -> long {
        if (!text::isDigits(v) || v.size() > 9) return -1;
        const long x = std::stol(v);
        return x > max ? -1 : x;
    };
    for (const auto& [name, value] : options) {
        if (name == "blksize") {
            const long b = number(value, 1'000'000);
            if (b < 8 || b > 65464)
                return Error::invalid("blksize must be 8 to 65464 (RFC 2348), not " + value.substr(0, 16));
            n.blksize = static_cast<uint32_t>(std::min<long>(b, limits.max_blksize));
            n.oack["blksize"] = std::to_string(n.blksize);
        } else if (name == "timeout") {
            const long t = number(value, 1000);
            if (t < 1 || t > 255)
                return Error::invalid("timeout must be 1 to 255 seconds (RFC 2349), not " + value.substr(0, 16));
            n.timeout_us = t * 1'000'000;
            n.explicit_timeout = true;
            n.oack["timeout"] = std::to_string(t);
        } else if (name == "tsize") {
            if (number(value, 999'999'999) < 0) return Error::invalid("tsize must be a number (RFC 2349)");
            n.oack["tsize"] = std::to_string(size);
        } else if (name == "windowsize") {
            const long w = number(value, 1'000'000);
            if (w < 1 || w > 65535)
                return Error::invalid("windowsize must be 1 to 65535 (RFC 7440), not " + value.substr(0, 16));
            n.windowsize = static_cast<uint16_t>(std::min<long>(w, limits.max_windowsize));
            n.oack["windowsize"] = std::to_string(n.windowsize);
        }
        // Anything else is ignored, as RFC 2347 asks.
    }
    return n;
}

Transfer::Transfer(std::unique_ptr<Source> source, Negotiated negotiated, Limits limits)
    : source_(std::move(source)),
      neg_(std::move(negotiated)),
      limits_(limits),
      last_block_(source_->size() / neg_.blksize + 1),
      oack_pending_(!neg_.oack.empty()),
      timeout_us_(neg_.timeout_us) {}

uint64_t Transfer::bytesAcked() const {
    return std::min<uint64_t>((base_ - 1) * neg_.blksize, source_->size());
}

bool Transfer::sendBlock(uint64_t block, std::vector<std::string>& out) {
    if (!source_->read((block - 1) * neg_.blksize, neg_.blksize, scratch_)) {
        state_ = State::kFailed;
        failure_ = "read error";
        out.push_back(encodeError(ErrorCode::kNotDefined, "read error"));
        return false;
    }
    // Block numbers are 16 bits on the wire and roll over past 65535 to 0.
    out.push_back(encodeData(static_cast<uint16_t>(block & 0xFFFF), scratch_));
    ++datagrams_sent_;
    return true;
}

int64_t Transfer::baseTimeout() const {
    if (neg_.explicit_timeout || srtt_us_ == 0) return neg_.timeout_us;
    return std::clamp<int64_t>(3 * srtt_us_, limits_.min_timeout_us, neg_.timeout_us);
}

void Transfer::sampleRtt(int64_t now_us) {
    // Karn: a window that was sent again says nothing about the round trip.
    if (retries_ != 0 || window_sent_us_ < 0) return;
    const int64_t sample = std::max<int64_t>(1, now_us - window_sent_us_);
    srtt_us_ = srtt_us_ == 0 ? sample : (7 * srtt_us_ + sample) / 8;
}

void Transfer::sendWindow(int64_t now_us, std::vector<std::string>& out) {
    // An unverified peer gets one packet at a time; a verified one a window.
    const uint64_t window = verified_ ? neg_.windowsize : 1;
    for (uint64_t b = base_; b < base_ + window && b <= last_block_; ++b) {
        if (!sendBlock(b, out)) return;
    }
    next_ = std::min(base_ + window, last_block_ + 1);
    if (retries_ == 0) window_sent_us_ = now_us;
    arm(now_us);
}

void Transfer::start(int64_t now_us, std::vector<std::string>& out) {
    last_progress_us_ = now_us;
    if (oack_pending_) {
        out.push_back(encodeOack(neg_.oack));
        ++datagrams_sent_;
        window_sent_us_ = now_us;
        arm(now_us);
        return;
    }
    sendWindow(now_us, out);
}

void Transfer::onAck(uint16_t block, int64_t now_us, std::vector<std::string>& out) {
    if (state_ != State::kRunning) return;
    if (oack_pending_) {
        if (block != 0) return;
        sampleRtt(now_us);
        oack_pending_ = false;
        verified_ = true;
        last_progress_us_ = now_us;
        retries_ = 0;
        timeout_us_ = baseTimeout();
        sendWindow(now_us, out);
        return;
    }
    // Which block in flight does this 16-bit number name? A window is far
    // smaller than 65536, so at most one matches. Anything else (a duplicate
    // of an earlier ACK included) is ignored: answering duplicates is the
    // Sorcerer's Apprentice bug that doubles the traffic.
    uint64_t acked = 0;
    for (uint64_t b = base_; b < next_; ++b) {
        if (static_cast<uint16_t>(b & 0xFFFF) == block) {
            acked = b;
            break;
        }
    }
    if (acked == 0) return;
    verified_ = true;
    last_progress_us_ = now_us;
    base_ = acked + 1;
    sampleRtt(now_us);
    retries_ = 0;
    timeout_us_ = baseTimeout();
    if (acked == last_block_) {
        state_ = State::kDone;
        return;
    }
    // RFC 7440: an ACK inside the window means the rest was lost; the next
    // window starts after the acknowledged block.
    sendWindow(now_us, out);
}

void Transfer::onTimer(int64_t now_us, std::vector<std::string>& out) {
    if (state_ != State::kRunning || now_us < deadline_) return;
    const int cap = verified_ ? limits_.max_retries : limits_.max_retries_unverified;
    const bool patient = verified_ && now_us - last_progress_us_ < limits_.give_up_after_us;
    if (++retries_ > cap && !patient) {
        state_ = State::kFailed;
        failure_ = "no answer after " + std::to_string(cap) + " retransmissions";
        return;
    }
    timeout_us_ = std::min(timeout_us_ * 2, std::max(limits_.max_timeout_us, neg_.timeout_us));
    if (oack_pending_) {
        out.push_back(encodeOack(neg_.oack));
        ++datagrams_sent_;
        arm(now_us);
        return;
    }
    sendWindow(now_us, out);
}

}  // namespace prov::tftp
