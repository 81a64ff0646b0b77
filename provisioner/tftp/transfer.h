#pragma once

// One read transfer as a state machine on (packet, now): no sockets, no
// clock of its own, so retransmits, backoff, give-up and windows are tested
// with a fake time. The server feeds it ACKs and timer ticks and sends what
// it returns.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/tftp/block_reader.h"
#include "provisioner/tftp/packet.h"

namespace prov::tftp {

struct Limits {
    uint32_t max_blksize = 65464;
    uint16_t max_windowsize = 64;
    int64_t default_timeout_us = 1'000'000;
    int64_t max_timeout_us = 8'000'000;
    // Without a timeout option the retransmit timer follows the measured
    // round trip (3 x smoothed RTT), never below this.
    int64_t min_timeout_us = 100'000;
    int max_retries = 5;
    // A peer that has ACKed is given at least this long of silence before
    // the transfer is dropped (a phone may pause while it writes flash).
    int64_t give_up_after_us = 20'000'000;
    // Until the peer has ACKed once it has not shown that it asked (UDP
    // needs no handshake: the source may be forged). It gets one packet (the
    // OACK, or DATA 1), nothing again, and this long to ACK it, whatever
    // `timeout` it asked for; then the transfer ends and frees its slot.
    int64_t unverified_wait_us = 3'000'000;
};

struct Negotiated {
    uint32_t blksize = 512;
    uint16_t windowsize = 1;
    int64_t timeout_us = 1'000'000;
    bool explicit_timeout = false;  // the client asked for one (RFC 2349): keep it
    std::map<std::string, std::string> oack;  // empty: no OACK, start with DATA 1
};

// RFC 2347/2348/2349/7440 negotiation. Unknown options are ignored; a known
// option with a value out of range is an error (sent as ERROR 8). `size` is
// the bytes on the wire when known before sending: in netascii only reading
// the whole file would tell, so tsize is left out of the OACK there, as RFC
// 2347 lets a server do (tftp-hpa does the same).
Result<Negotiated> negotiate(const std::map<std::string, std::string>& options, std::optional<uint64_t> size,
                             const Limits& limits);

// The datagrams one call of a Transfer produced, for the server to send.
// One per event loop, cleared before each call: the strings themselves are
// kept (up to kKept of them) so a transfer of 64 KiB blocks writes each
// block into a buffer the previous one used instead of allocating 64 KiB
// per packet, which a 200 MiB image made 3,200 times.
class Datagrams {
public:
    static constexpr size_t kKept = 16;  // 1 MiB at the largest blksize

    // An empty string to fill (its capacity kept from earlier use).
    std::string& add();
    void push_back(std::string datagram) { add() = std::move(datagram); }
    // Forgets the datagrams; frees the buffers beyond kKept.
    void clear();

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const std::string& operator[](size_t i) const { return items_[i]; }
    std::vector<std::string>::const_iterator begin() const { return items_.begin(); }
    std::vector<std::string>::const_iterator end() const {
        return items_.begin() + static_cast<std::ptrdiff_t>(size_);
    }

private:
    std::vector<std::string> items_;
    size_t size_ = 0;
};

class Transfer {
public:
    enum class State { kRunning, kDone, kFailed };

    Transfer(std::unique_ptr<Source> source, Mode mode, Negotiated negotiated, Limits limits);

    // The first packets (OACK, or the first DATA). `out` receives datagrams.
    void start(int64_t now_us, Datagrams& out);
    void onAck(uint16_t block, int64_t now_us, Datagrams& out);
    // Retransmits when the deadline has passed; gives up after the retry cap
    // (a peer that never ACKed: at the deadline, with nothing sent again).
    void onTimer(int64_t now_us, Datagrams& out);
    // The peer sent ERROR: stop.
    void abort() { state_ = State::kFailed; }

    State state() const { return state_; }
    // The peer has ACKed (the OACK or block 1): it did ask.
    bool verified() const { return verified_; }
    int64_t deadline() const { return deadline_; }
    // Bytes on the wire the peer has acknowledged.
    uint64_t bytesAcked() const;
    uint64_t datagramsSent() const { return datagrams_sent_; }
    // DATA datagrams of a block that had gone out before (part of datagramsSent()).
    uint64_t datagramsResent() const { return datagrams_resent_; }
    const std::string& failure() const { return failure_; }

private:
    void sendWindow(int64_t now_us, Datagrams& out);
    bool sendBlock(uint64_t block, Datagrams& out);
    void arm(int64_t now_us) { deadline_ = now_us + timeout_us_; }

    BlockReader blocks_;
    Negotiated neg_;
    Limits limits_;
    // 1-based index of the final (short) block: unknown until it is read,
    // since the length on the wire of netascii is only known at its end.
    uint64_t last_block_ = UINT64_MAX;
    uint64_t last_length_ = 0;  // its payload
    uint64_t base_ = 1;     // first block not yet acknowledged
    uint64_t next_ = 1;     // next block to send
    bool oack_pending_;
    bool verified_ = false;
    int retries_ = 0;
    int64_t timeout_us_;
    int64_t deadline_ = 0;
    int64_t window_sent_us_ = -1;  // when the current window first went out; -1: never
    int64_t last_progress_us_ = 0;  // start, or the last ACK that moved the window
    int64_t srtt_us_ = 0;         // smoothed round trip, 0 until measured
    uint64_t datagrams_sent_ = 0;
    uint64_t datagrams_resent_ = 0;
    uint64_t highest_sent_ = 0;  // the highest block number sent so far
    int64_t baseTimeout() const;
    void sampleRtt(int64_t now_us);
    State state_ = State::kRunning;
    std::string failure_;
};

}  // namespace prov::tftp
