#pragma once

// One phone's HTTP/1.1 connection: the handshake (TLS) or none, then
// requests read, answered through the pipeline and written, in order, over
// keep-alive and pipelining, until one side ends it. An explicit phase,
// driven by the event loop (nginx's rev->handler, Poco's
// HTTPServerConnection::run): drive() runs until the connection must wait
// for its socket, its deadline or the loop's next turn, and never calls
// itself back. It knows nothing of epoll or of which transport it has.

#include <cstdint>
#include <memory>
#include <string>

#include "provisioner/http/exchange.h"
#include "provisioner/http/request_head.h"
#include "provisioner/http/transport.h"

namespace prov::http {

// The pipeline as the connection sees it: one answer per request (the event
// is recorded by whoever implements it).
class Fetcher {
public:
    virtual ~Fetcher() = default;
    virtual FetchResponse fetch(const FetchRequest& request) = 0;
    // An HTML page served on HTTPS beside the phones' files (the softphone
    // invitation's /invite/<token>), never over HTTP or TFTP.
    virtual bool isPage(const std::string& target) const {
        (void)target;
        return false;
    }
    virtual PageAnswer page(const std::string& method, const std::string& target, const std::string& peer_ip) {
        (void)method, (void)target, (void)peer_ip;
        return {};
    }
};

struct ConnectionLimits {
    size_t max_head_bytes = 8192;
    size_t max_upload_bytes = 1 << 20;
    int64_t handshake_us = 5'000'000;   // TLS handshake, from accept
    int64_t keep_alive_us = 2'000'000;  // idle between requests
    int64_t request_us = 10'000'000;    // a request from its first byte; a write's progress
    int64_t linger_us = 1'000'000;      // draining a refused request before the close
    int max_requests = 1000;            // per connection
    size_t max_queued = 256 * 1024;     // answers queued before they are written
};

enum class Phase {
    kHandshake,  // TLS (plain passes through at once)
    kHead,       // reading a request head (or idle between requests)
    kBody,       // reading a PUT body
    kWrite,      // writing queued answers and a file
    kLinger,     // answered and shut: draining the phone's input before the close
    kClosed,
};

enum class Wait { kRead, kWrite };

class Connection {
public:
    // `over_limit`: accepted past http.max_connections; its first request
    // is answered 503 with Retry-After and the connection closed.
    Connection(std::unique_ptr<Transport> transport, std::string peer_ip, Fetcher& fetcher,
               const ConnectionLimits& limits, int64_t now_us, bool over_limit);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Moves the connection on as far as it can. `date_line` is this
    // second's Date header (exchange.h dateLine()).
    void drive(int64_t now_us, const std::string& date_line);
    // Its deadline passed, or its socket broke: closed.
    void close();

    Phase phase() const { return phase_; }
    Wait wait() const { return wait_; }
    int64_t deadline() const { return deadline_; }
    // drive() stopped with work left (a read budget spent): call it again on
    // the loop's next turn, after the other connections.
    bool again() const { return again_; }
    int fd() const { return transport_->fd(); }
    const std::string& peerIp() const { return peer_ip_; }
    // Why a handshake was refused, once closed for it (for the log).
    const std::string& handshakeFailure() const { return handshake_failure_; }

private:
    bool handshake();
    bool takeRequest();
    bool takeHead();
    bool takeBody();
    bool readMore(int& reads);
    bool flush();
    void answer(std::string body);
    void answerPage();
    void queue(const Reply& reply, int file_fd);
    void finish();
    void drain();
    void waitFor(Wait wait);
    void closeFile();

    std::unique_ptr<Transport> transport_;
    std::string peer_ip_;
    Fetcher& fetcher_;
    const ConnectionLimits& limits_;
    bool over_limit_;

    Phase phase_ = Phase::kHandshake;
    Phase resume_ = Phase::kHead;  // the reading phase to go back to after a write
    Wait wait_ = Wait::kRead;
    int64_t now_ = 0;
    int64_t deadline_ = 0;
    int64_t request_deadline_ = 0;  // set at a request's first byte
    // Set when the connection falls idle (after the handshake, after an
    // answer) and kept while it stays idle: bytes that make no request
    // (TLS record fragments) do not move it.
    int64_t idle_deadline_ = 0;
    const std::string* date_line_ = nullptr;
    bool again_ = false;
    bool drained_ = false;   // the last read found nothing more to read
    bool peer_eof_ = false;  // the phone shut its side
    bool keep_alive_ = true;
    bool close_after_ = false;  // once everything queued is written
    int requests_ = 0;
    int last_status_ = 0;
    std::string handshake_failure_;

    std::string in_;
    RequestHead head_;
    std::string body_;
    size_t chunk_used_ = 0;
    bool page_ = false;  // this request is for a page (Fetcher::isPage)
    std::string out_;
    size_t out_off_ = 0;
    int file_fd_ = -1;
    off_t file_off_ = 0;
    size_t file_left_ = 0;
};

}  // namespace prov::http
