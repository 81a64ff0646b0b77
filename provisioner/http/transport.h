#pragma once

// How a phone's connection moves bytes: the plain socket (with sendfile for
// files) or TLS over it. Chosen once at accept, as nginx swaps c->recv and
// c->send when a handshake ends; the HTTP connection (connection.h) never
// asks which it has. Never blocks: a call that cannot go on says which way
// the socket must become ready first.

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>

#include "provisioner/fetch/fetch.h"
#include "provisioner/tls/tls_server.h"

namespace prov::http {

enum class IoStatus {
    kDone,       // `bytes` moved (reads: > 0)
    kWantRead,   // call again once the socket is readable
    kWantWrite,  // ... writable
    kEnd,        // reads: the peer closed its side
    kFailed,     // the connection is broken (or the handshake refused)
};

struct Io {
    IoStatus status = IoStatus::kDone;
    size_t bytes = 0;
    // Reads: nothing more can be read right now without the socket becoming
    // readable again (a plain read shorter than asked; TLS with no record
    // buffered), so epoll will say when there is more.
    bool drained = false;
};

// What the connection proved of its peer (TLS client certificates).
struct PeerProof {
    bool client_cert = false;
    std::string mac;  // canonical; empty when the certificate named none
};

class Transport {
public:
    virtual ~Transport() = default;
    virtual Protocol protocol() const = 0;
    int fd() const { return fd_; }
    // Until kDone: the handshake (plain: done at once).
    virtual Io handshake() = 0;
    virtual Io read(char* buffer, size_t length) = 0;
    // Writes some of the bytes; after kWant*, call again with the same bytes.
    virtual Io write(const char* buffer, size_t length) = 0;
    // Sends some of the `length` bytes of `file` from `offset` on, moving
    // `offset` past what is out; kDone with 0 bytes is progress inside a
    // piece still on its way (call again).
    virtual Io sendFile(int file, off_t& offset, size_t length) = 0;
    // Bytes read off the socket and not yet returned (TLS records): epoll
    // will not signal them.
    virtual bool buffered() const = 0;
    // The orderly end (TLS close_notify); the socket stays open.
    virtual void closeNotify() = 0;
    // Nothing more goes through the transport (a lingering close reads the
    // raw socket): what it holds beyond the socket, the TLS state and its
    // ~33 KiB of record buffers, is freed now. Later calls fail.
    virtual void release() = 0;
    virtual PeerProof peer() const = 0;
    // Why the handshake failed, for the log.
    virtual std::string failure() const = 0;

protected:
    explicit Transport(int fd) : fd_(fd) {}

private:
    int fd_;
};

// Neither takes ownership of `fd`.
std::unique_ptr<Transport> plainTransport(int fd);
std::unique_ptr<Transport> tlsTransport(int fd, std::shared_ptr<tls::TlsServerContext> context);

}  // namespace prov::http
