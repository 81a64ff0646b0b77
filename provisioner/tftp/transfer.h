#pragma once

// One read transfer as a state machine on (packet, now): no sockets, no
// clock of its own, so retransmits, backoff, give-up and windows are tested
// with a fake time. The server feeds it ACKs and timer ticks and sends what
// it returns.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/tftp/packet.h"

namespace prov::tftp {

// What is sent: random access so a window can be sent again.
class Source {
public:
    virtual ~Source() = default;
    virtual uint64_t size() const = 0;
    // Copies up to `len` bytes at `offset` into `out`; false on an I/O error.
    virtual bool read(uint64_t offset, size_t len, std::string& out) = 0;
};

class MemorySource final : public Source {
public:
    explicit MemorySource(std::string data) : data_(std::move(data)) {}
    uint64_t size() const override { return data_.size(); }
    bool read(uint64_t offset, size_t len, std::string& out) override;

private:
    std::string data_;
};

// Streams a file from disk with pread: nothing is read whole into memory.
class FileSource final : public Source {
public:
    static Result<std::unique_ptr<FileSource>> open(const std::string& path);
    ~FileSource() override;
    uint64_t size() const override { return size_; }
    bool read(uint64_t offset, size_t len, std::string& out) override;

private:
    FileSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
    int fd_;
    uint64_t size_;
    // Blocks are read in order: one pread fills many of them.
    std::string ahead_;
    uint64_t ahead_offset_ = 0;
};

// netascii: LF -> CR LF, CR -> CR NUL (RFC 764, as RFC 1350 asks).
std::string toNetascii(std::string_view octets);

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
    // Until the peer has ACKed once it has not shown that it asked: send one
    // packet and retry it at most this often (no reflection amplifier).
    int max_retries_unverified = 3;
};

struct Negotiated {
    uint32_t blksize = 512;
    uint16_t windowsize = 1;
    int64_t timeout_us = 1'000'000;
    bool explicit_timeout = false;  // the client asked for one (RFC 2349): keep it
    std::map<std::string, std::string> oack;  // empty: no OACK, start with DATA 1
};

// RFC 2347/2348/2349/7440 negotiation. Unknown options are ignored; a known
// option with a value out of range is an error (sent as ERROR 8).
Result<Negotiated> negotiate(const std::map<std::string, std::string>& options, uint64_t size, const Limits& limits);

class Transfer {
public:
    enum class State { kRunning, kDone, kFailed };

    Transfer(std::unique_ptr<Source> source, Negotiated negotiated, Limits limits);

    // The first packets (OACK, or the first DATA). `out` receives datagrams.
    void start(int64_t now_us, std::vector<std::string>& out);
    void onAck(uint16_t block, int64_t now_us, std::vector<std::string>& out);
    // Retransmits when the deadline has passed; gives up after the retry cap.
    void onTimer(int64_t now_us, std::vector<std::string>& out);
    // The peer sent ERROR: stop.
    void abort() { state_ = State::kFailed; }

    State state() const { return state_; }
    int64_t deadline() const { return deadline_; }
    uint64_t bytesAcked() const;
    uint64_t datagramsSent() const { return datagrams_sent_; }
    const std::string& failure() const { return failure_; }

private:
    void sendWindow(int64_t now_us, std::vector<std::string>& out);
    bool sendBlock(uint64_t block, std::vector<std::string>& out);
    void arm(int64_t now_us) { deadline_ = now_us + timeout_us_; }

    std::unique_ptr<Source> source_;
    Negotiated neg_;
    Limits limits_;
    uint64_t last_block_;   // 1-based index of the final (short) block
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
    int64_t baseTimeout() const;
    void sampleRtt(int64_t now_us);
    State state_ = State::kRunning;
    std::string failure_;
    std::string scratch_;
};

}  // namespace prov::tftp
