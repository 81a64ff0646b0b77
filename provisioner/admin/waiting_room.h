#pragma once

// The admin API's listening socket, so that idle clients cannot block it.
// Poco's HTTPServer gives every accepted connection a worker thread (eight
// of them) that then waits, up to its timeout, for the request: a few
// clients that connect and send nothing, or half a request head, held every
// thread and the API went unanswered for half a minute. Here a connection
// waits in a room first, on the acceptor thread's epoll set and on no worker
// thread, until its whole request head has arrived (over TLS: the handshake,
// run without blocking, and the head decrypted); only then does Poco's
// TCPServer see it. One that does not get there within the head timeout is
// dropped; when the room is full the oldest waiter makes room, so a flood of
// idle connections cannot shut out a client that sends its request at once.
//
// A connection kept alive after its answer no longer passes the room: its
// next head must be complete within the head timeout of that answer
// (HeadDeadlineFactory arms the deadline after each answer, the socket
// enforces it on every read, the next head clears it).
//
//   Poco::Net::ServerSocket socket = admin::WaitingRoomSocket(tls_or_null, {head_timeout_ms});
//   socket.bind(address, true);
//   socket.listen(256);
//   HTTPServer server(new HeadDeadlineFactory(new ApiHandlerFactory(...), head_timeout_ms), pool, socket, params);

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "provisioner/tls/tls_server.h"

namespace prov::admin {

// The context for new connections; swapped on SIGHUP (certificate reload)
// while established connections keep the one they started with.
using TlsContextSource = std::function<std::shared_ptr<tls::TlsServerContext>()>;

struct WaitingRoomOptions {
    int head_timeout_ms = 5000;     // from accept to a complete head (TLS: handshake included)
    size_t max_waiting = 512;       // connections in the room at once; past it the oldest goes
    size_t max_head_bytes = 16384;  // a longer head is answered 431 and closed in the room
};

// Steady-clock milliseconds.
int64_t steadyMs();

// The whole answer to a request head longer than max_head_bytes.
inline constexpr std::string_view kHeadTooLong =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

// A connection as the room and then Poco see it: the head read ahead of
// Poco, given back by receiveBytes before anything more from the socket,
// and the deadline for a kept-alive connection's next head.
class ReadAheadSocketImpl : public Poco::Net::StreamSocketImpl {
public:
    enum class Progress { kWaiting, kReady, kGone, kTooLong };
    // Reads what has arrived, never waiting: kReady once the head's blank
    // line is in, kTooLong when max_bytes came without one, kGone when the
    // peer closed or failed.
    virtual Progress readAhead(size_t max_bytes) = 0;
    // A 431 answer for a head that was too long, sent without waiting (best
    // effort: the connection is closed next).
    virtual void refuseHead() = 0;

    // The next head must be complete by `deadline_ms` (steady clock); 0: none.
    void setHeadDeadline(int64_t deadline_ms) { head_deadline_ms_ = deadline_ms; }

protected:
    explicit ReadAheadSocketImpl(poco_socket_t fd) : Poco::Net::StreamSocketImpl(fd) {}
    ~ReadAheadSocketImpl() override = default;

    // True once the bytes read ahead hold a whole head (blank lines before
    // the request line end nothing).
    bool headComplete();
    size_t aheadLeft() const { return ahead_.size() - ahead_off_; }
    int takeAhead(void* buffer, int length);
    // When a read must give up: the socket's receive timeout, or the head
    // deadline if that comes first.
    int64_t readDeadline();
    bool headOverdue() const { return head_deadline_ms_ != 0 && steadyMs() >= head_deadline_ms_; }

    std::string ahead_;
    size_t ahead_off_ = 0;

private:
    size_t head_start_ = std::string::npos;  // the request line's first byte
    size_t scanned_ = 0;
    int64_t head_deadline_ms_ = 0;
};

// Plain HTTP: the head read ahead off the non-blocking socket, which is made
// blocking (Poco's receive timeout) when the room hands it over.
class PlainSocketImpl final : public ReadAheadSocketImpl {
public:
    explicit PlainSocketImpl(poco_socket_t fd) : ReadAheadSocketImpl(fd) {}
    Progress readAhead(size_t max_bytes) override;
    void refuseHead() override;
    int receiveBytes(void* buffer, int length, int flags = 0) override;
    int available() override;
    bool poll(const Poco::Timespan& timeout, int mode) override;

private:
    ~PlainSocketImpl() override = default;
};

class WaitingRoomSocketImpl final : public Poco::Net::ServerSocketImpl {
public:
    // `tls` empty: plain HTTP.
    WaitingRoomSocketImpl(TlsContextSource tls, WaitingRoomOptions options);
    // TCPServer's acceptor thread calls poll(250 ms) then acceptConnection():
    // poll() runs the room and is true once a connection is ready.
    bool poll(const Poco::Timespan& timeout, int mode) override;
    Poco::Net::SocketImpl* acceptConnection(Poco::Net::SocketAddress& client) override;
    void close() override;
    bool secure() const override { return static_cast<bool>(tls_); }

private:
    ~WaitingRoomSocketImpl() override;
    struct Waiting {
        Poco::AutoPtr<ReadAheadSocketImpl> socket;
        Poco::Net::SocketAddress peer;
        int64_t deadline_ms = 0;
    };
    bool openRoom();
    void acceptAll(int64_t now);
    void advance(int fd);
    void expire(int64_t now);
    void drop(std::map<uint64_t, Waiting>::iterator it);
    void clear();

    TlsContextSource tls_;
    WaitingRoomOptions options_;
    int epoll_fd_ = -1;
    uint64_t arrivals_ = 0;
    std::map<uint64_t, Waiting> waiting_;  // by arrival: the oldest, and the first deadline, first
    std::unordered_map<int, uint64_t> by_fd_;
    std::deque<Waiting> ready_;
};

class WaitingRoomSocket final : public Poco::Net::ServerSocket {
public:
    WaitingRoomSocket(TlsContextSource tls, WaitingRoomOptions options)
        : Poco::Net::ServerSocket(new WaitingRoomSocketImpl(std::move(tls), options), true) {}
};

// Wraps the API's handler factory: a request that reached its handler has
// its head complete (the deadline is lifted for its body); after its answer
// the connection's next head has head_timeout_ms.
// The room's socket under a request Poco made from it; null for any other.
ReadAheadSocketImpl* readAheadSocketOf(const Poco::Net::HTTPServerRequest& request);

class HeadDeadlineFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    HeadDeadlineFactory(Poco::Net::HTTPRequestHandlerFactory* inner, int head_timeout_ms)
        : inner_(inner), head_timeout_ms_(head_timeout_ms) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

private:
    std::unique_ptr<Poco::Net::HTTPRequestHandlerFactory> inner_;
    int head_timeout_ms_;
};

}  // namespace prov::admin
