#include "provisioner/http/transport.h"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace prov::http {

namespace {

bool again() { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

class PlainTransport final : public Transport {
public:
    explicit PlainTransport(int fd) : Transport(fd) {}
    Protocol protocol() const override { return Protocol::kHttp; }
    Io handshake() override { return {}; }

    Io read(char* buffer, size_t length) override {
        const ssize_t n = ::recv(fd(), buffer, length, 0);
        if (n > 0) return {IoStatus::kDone, static_cast<size_t>(n), static_cast<size_t>(n) < length};
        if (n == 0) return {IoStatus::kEnd, 0, true};
        return {again() ? IoStatus::kWantRead : IoStatus::kFailed, 0, true};
    }

    Io write(const char* buffer, size_t length) override {
        const ssize_t n = ::send(fd(), buffer, length, MSG_NOSIGNAL);
        if (n >= 0) return {IoStatus::kDone, static_cast<size_t>(n)};
        return {again() ? IoStatus::kWantWrite : IoStatus::kFailed, 0};
    }

    Io sendFile(int file, off_t& offset, size_t length) override {
        const ssize_t n = ::sendfile(fd(), file, &offset, std::min<size_t>(length, 1 << 20));
        if (n > 0) return {IoStatus::kDone, static_cast<size_t>(n)};
        // 0: the file is shorter than it said it was.
        return {n < 0 && again() ? IoStatus::kWantWrite : IoStatus::kFailed, 0};
    }

    bool buffered() const override { return false; }
    void closeNotify() override {}
    void release() override {}
    PeerProof peer() const override { return {}; }
    std::string failure() const override { return {}; }
};

class TlsTransport final : public Transport {
public:
    TlsTransport(int fd, std::shared_ptr<tls::TlsServerContext> context)
        : Transport(fd), tls_(std::move(context), fd) {}
    Protocol protocol() const override { return Protocol::kHttps; }

    Io handshake() override { return status(tls_.handshakeStep(), 0); }

    Io read(char* buffer, size_t length) override {
        const int n = tls_.readSome(buffer, static_cast<int>(std::min<size_t>(length, 1 << 30)));
        // A record at a time: the socket may hold more records, so read on
        // (within the connection's budget) until TLS says it wants more.
        if (n > 0) return {IoStatus::kDone, static_cast<size_t>(n), false};
        if (n == 0) return {IoStatus::kEnd, 0, true};
        Io io = status(n, 0);
        io.drained = true;
        return io;
    }

    Io write(const char* buffer, size_t length) override {
        const int n = tls_.writeSome(buffer, static_cast<int>(std::min<size_t>(length, 1 << 20)));
        return n > 0 ? Io{IoStatus::kDone, static_cast<size_t>(n)} : status(n, 0);
    }

    // No sendfile through TLS: a piece at a time through a buffer, which
    // stays the same until it is all out (TLS wants the same bytes again).
    Io sendFile(int file, off_t& offset, size_t length) override {
        if (piece_off_ == piece_.size()) {
            piece_.resize(std::min<size_t>(length, 64 * 1024));
            const ssize_t got = ::pread(file, piece_.data(), piece_.size(), offset);
            if (got <= 0) return {IoStatus::kFailed, 0};  // the file shrank
            piece_.resize(static_cast<size_t>(got));
            piece_off_ = 0;
        }
        Io io = write(piece_.data() + piece_off_, piece_.size() - piece_off_);
        if (io.status != IoStatus::kDone) return io;
        piece_off_ += io.bytes;
        if (piece_off_ < piece_.size()) return {IoStatus::kDone, 0};
        const size_t sent = piece_.size();
        offset += static_cast<off_t>(sent);
        piece_.clear();
        piece_off_ = 0;
        if (sent == length) std::string().swap(piece_);  // the file is out: give the buffer back
        return {IoStatus::kDone, sent};
    }

    bool buffered() const override { return tls_.buffered(); }
    void closeNotify() override { tls_.closeNotify(); }
    void release() override {
        tls_.release();
        std::string().swap(piece_);
    }
    PeerProof peer() const override { return {tls_.peer().verified, tls_.peer().mac}; }
    std::string failure() const override { return tls_.lastError(); }

private:
    static Io status(int rc, size_t bytes) {
        if (rc >= 0) return {IoStatus::kDone, bytes};
        if (rc == tls::TlsConnection::kWantRead) return {IoStatus::kWantRead, 0};
        if (rc == tls::TlsConnection::kWantWrite) return {IoStatus::kWantWrite, 0};
        return {IoStatus::kFailed, 0};
    }

    tls::TlsConnection tls_;
    std::string piece_;
    size_t piece_off_ = 0;
};

}  // namespace

std::unique_ptr<Transport> plainTransport(int fd) { return std::make_unique<PlainTransport>(fd); }

std::unique_ptr<Transport> tlsTransport(int fd, std::shared_ptr<tls::TlsServerContext> context) {
    return std::make_unique<TlsTransport>(fd, std::move(context));
}

}  // namespace prov::http
