#include "provisioner/tftp/transfer.h"

#include <algorithm>

#include "provisioner/core/text.h"

namespace prov::tftp {

std::string& Datagrams::add() {
    if (size_ == items_.size()) items_.emplace_back();
    std::string& d = items_[size_++];
    d.clear();
    return d;
}

void Datagrams::clear() {
    size_ = 0;
    if (items_.size() > kKept) items_.resize(kKept);
}

Result<Negotiated> negotiate(const std::map<std::string, std::string>& options, std::optional<uint64_t> size,
                             const Limits& limits) {
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
            if (size) n.oack["tsize"] = std::to_string(*size);
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

Transfer::Transfer(std::unique_ptr<Source> source, Mode mode, Negotiated negotiated, Limits limits)
    : blocks_(std::move(source), mode, negotiated.blksize),
      neg_(std::move(negotiated)),
      limits_(limits),
      oack_pending_(!neg_.oack.empty()),
      timeout_us_(neg_.timeout_us) {}

uint64_t Transfer::bytesAcked() const {
    // Every block before the last is full.
    if (state_ == State::kDone) return (last_block_ - 1) * neg_.blksize + last_length_;
    return (base_ - 1) * neg_.blksize;
}

bool Transfer::sendBlock(uint64_t block, Datagrams& out) {
    // The block is read straight into its datagram, a buffer of the
    // server's loop: the transfer keeps none of its own between packets.
    std::string& datagram = out.add();
    datagram.reserve(4 + neg_.blksize);
    appendDataHeader(datagram, static_cast<uint16_t>(block & 0xFFFF));  // 16 bits: rolls over to 0
    if (!blocks_.read(block, datagram)) {
        state_ = State::kFailed;
        failure_ = "read error";
        datagram = encodeError(ErrorCode::kNotDefined, "read error");
        return false;
    }
    const uint64_t length = datagram.size() - 4;
    if (length < neg_.blksize) {
        last_block_ = block;
        last_length_ = length;
    }
    ++datagrams_sent_;
    // A block sent before goes again: after a timeout, or after an ACK
    // inside the window said the rest was lost.
    if (block <= highest_sent_) ++datagrams_resent_;
    else highest_sent_ = block;
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

void Transfer::sendWindow(int64_t now_us, Datagrams& out) {
    // An unverified peer gets one packet; a verified one a window. The last
    // block is known once read, so the loop stops at it.
    const uint64_t window = verified_ ? neg_.windowsize : 1;
    const uint64_t count = last_block_ == UINT64_MAX ? window : std::min(window, last_block_ - base_ + 1);
    const BlockReader::Ahead ahead = blocks_.readAhead(base_, count);
    uint64_t b = base_;
    for (; b < base_ + window && b <= last_block_; ++b) {
        if (!sendBlock(b, out)) return;
    }
    next_ = b;
    if (retries_ == 0) window_sent_us_ = now_us;
    arm(now_us);
}

void Transfer::start(int64_t now_us, Datagrams& out) {
    last_progress_us_ = now_us;
    if (oack_pending_) {
        out.push_back(encodeOack(neg_.oack));
        ++datagrams_sent_;
        window_sent_us_ = now_us;
    } else {
        sendWindow(now_us, out);
    }
    // Until the peer ACKs, its one packet is not sent again: the deadline is
    // when it is given up, however long a `timeout` it asked for.
    deadline_ = now_us + limits_.unverified_wait_us;
}

void Transfer::onAck(uint16_t block, int64_t now_us, Datagrams& out) {
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
    blocks_.forgetBefore(base_);
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

void Transfer::onTimer(int64_t now_us, Datagrams& out) {
    if (state_ != State::kRunning || now_us < deadline_) return;
    if (!verified_) {
        // No retransmission to a peer that never showed it asked: a forged
        // source gets one packet per request, not one per retry.
        state_ = State::kFailed;
        failure_ = "no ACK of the first packet";
        return;
    }
    const bool patient = now_us - last_progress_us_ < limits_.give_up_after_us;
    if (++retries_ > limits_.max_retries && !patient) {
        state_ = State::kFailed;
        failure_ = "no answer after " + std::to_string(limits_.max_retries) + " retransmissions";
        return;
    }
    timeout_us_ = std::min(timeout_us_ * 2, std::max(limits_.max_timeout_us, neg_.timeout_us));
    sendWindow(now_us, out);
}

}  // namespace prov::tftp
