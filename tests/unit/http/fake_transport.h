#pragma once

// A scripted Transport for Connection tests: reads hand out the chunks queued
// in `input` one per call (then kWantRead, or kEnd once `eof`); writes take
// at most `write_budget` bytes in all before kWantWrite. It sits on one end
// of a real socketpair, so the connection's shutdown and linger drain act on
// a real socket whose other end (peer()) the test holds.

#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <stdexcept>
#include <string>

#include "provisioner/http/connection.h"

namespace prov::testing {

class SocketPair {
public:
    SocketPair() {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_) != 0) throw std::runtime_error("socketpair");
    }
    ~SocketPair() {
        if (fds_[0] >= 0) ::close(fds_[0]);
        if (fds_[1] >= 0) ::close(fds_[1]);
    }
    int server() const { return fds_[0]; }
    int peer() const { return fds_[1]; }
    void closePeer() {
        ::close(fds_[1]);
        fds_[1] = -1;
    }

private:
    int fds_[2];
};

struct Script {
    std::deque<std::string> input;
    bool eof = false;
    bool read_fails = false;
    size_t write_budget = static_cast<size_t>(-1);
    std::string written;
    int handshake_waits = 0;  // kWantRead this many times first
    bool handshake_fails = false;
    int reads = 0;
};

class FakeTransport final : public http::Transport {
public:
    FakeTransport(int fd, Script& script, Protocol protocol = Protocol::kHttp)
        : Transport(fd), s_(script), protocol_(protocol) {}
    Protocol protocol() const override { return protocol_; }
    http::Io handshake() override {
        if (s_.handshake_waits > 0) {
            --s_.handshake_waits;
            return {http::IoStatus::kWantRead, 0};
        }
        return {s_.handshake_fails ? http::IoStatus::kFailed : http::IoStatus::kDone, 0};
    }
    http::Io read(char* buffer, size_t length) override {
        ++s_.reads;
        if (s_.read_fails) return {http::IoStatus::kFailed, 0, true};
        if (s_.input.empty()) return {s_.eof ? http::IoStatus::kEnd : http::IoStatus::kWantRead, 0, true};
        std::string& front = s_.input.front();
        const size_t n = std::min(length, front.size());
        front.copy(buffer, n);
        front.erase(0, n);
        if (front.empty()) s_.input.pop_front();
        return {http::IoStatus::kDone, n, s_.input.empty()};
    }
    http::Io write(const char* buffer, size_t length) override {
        const size_t n = std::min(length, s_.write_budget);
        if (n == 0) return {http::IoStatus::kWantWrite, 0};
        s_.written.append(buffer, n);
        s_.write_budget -= n;
        return {http::IoStatus::kDone, n};
    }
    http::Io sendFile(int file, off_t& offset, size_t length) override {
        std::string piece(std::min<size_t>(length, 4096), '\0');
        const ssize_t got = ::pread(file, piece.data(), piece.size(), offset);
        if (got <= 0) return {http::IoStatus::kFailed, 0};
        piece.resize(static_cast<size_t>(got));
        const http::Io io = write(piece.data(), piece.size());
        if (io.status == http::IoStatus::kDone) offset += static_cast<off_t>(io.bytes);
        return io;
    }
    bool buffered() const override { return false; }
    void closeNotify() override { ++close_notifies; }
    void release() override { ++releases; }
    http::PeerProof peer() const override { return {protocol_ == Protocol::kHttps, "0015654aa937"}; }
    std::string failure() const override { return "handshake failed: bad record"; }
    int close_notifies = 0;
    int releases = 0;

private:
    Script& s_;
    Protocol protocol_;
};

}  // namespace prov::testing
