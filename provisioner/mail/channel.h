#pragma once

// The byte stream an SMTP dialogue runs on: a TCP socket, upgraded to TLS
// in place by STARTTLS. An interface so that tests script the server over a
// socketpair.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "provisioner/core/result.h"
#include "provisioner/tls/tls_client.h"

namespace prov::mail {

class Channel {
  public:
    virtual ~Channel() = default;
    virtual Status write(std::string_view data) = 0;
    // Up to `size` bytes, waiting at most the channel's timeout; 0: closed.
    virtual Result<size_t> read(char* buf, size_t size) = 0;
    // TLS from here on (after the server's 220 to STARTTLS).
    virtual Status startTls() = 0;
    virtual bool secure() const = 0;
};

// Lets another thread end a conversation in progress (Outbox::stop): the
// socket attached is shut down, so its wait returns at once and the
// dialogue ends as on a lost connection. Once interrupted, it stays so:
// a socket attached later is refused. Thread safe.
class Interrupter {
  public:
    // Keeps `fd` to shut down on interrupt(); false when interrupted already.
    bool attach(int fd);
    // Before `fd` is closed: never shut a number down that was reused.
    void detach();
    void interrupt();
    bool interrupted() const;

  private:
    mutable std::mutex mutex_;
    int fd_ = -1;
    bool interrupted_ = false;
};

// A connected socket (owned), plain until startTls(). Every wait lasts at
// most tls.timeout_ms and ends by tls.deadline when one is set.
class SocketChannel final : public Channel {
  public:
    SocketChannel(int fd, tls::ClientOptions tls);
    ~SocketChannel() override;
    SocketChannel(const SocketChannel&) = delete;
    SocketChannel& operator=(const SocketChannel&) = delete;

    // Connects to `host`:`port` within `timeout_ms` (each address tried in turn).
    static Result<std::unique_ptr<SocketChannel>> connect(const std::string& host, int port,
                                                          tls::ClientOptions tls);

    Status write(std::string_view data) override;
    Result<size_t> read(char* buf, size_t size) override;
    Status startTls() override;
    bool secure() const override { return session_ != nullptr; }
    int fd() const { return fd_; }

  private:
    int fd_;
    tls::ClientOptions tls_;
    std::unique_ptr<tls::ClientSession> session_;
};

}  // namespace prov::mail
