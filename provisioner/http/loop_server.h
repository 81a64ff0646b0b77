#pragma once

// The phones' HTTP and HTTPS ports: a few event loops (core/event_loop.h)
// polling the port's one listening socket (each accepts what it can; no
// SO_REUSEPORT, so no other process can join the port), no thread per
// connection. A boot
// storm of idle keep-alive connections costs memory, not threads, and a
// fetch costs one read and one write. This file accepts and hands sockets
// to their Connection (connection.h), which speaks HTTP/1.1 over the
// Transport chosen here once (transport.h): plain, or TLS when `tls` is set.
//
// Chosen over Poco's HTTPServer because thread-per-connection caps a port
// at about 0.6x nginx on 2 cores (bench/http).

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "provisioner/core/address_counter.h"
#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"
#include "provisioner/http/connection.h"
#include "provisioner/service/provisioning_service.h"
#include "provisioner/tls/tls_server.h"

namespace prov::http {

struct LoopOptions {
    std::string bind = "0.0.0.0";
    int port = 8080;
    int loops = 2;
    int max_connections = 20000;  // open at once, all loops; past it: 503 and close
    // Past this many open at once a new connection is closed at once, before
    // any read or handshake; 0: twice max_connections. HTTPS sets it to
    // https.max_connections, which bounds its TLS state (~33 KiB each).
    int max_open = 0;
    // Open at once from one address, all loops; past it a new connection
    // from that address is closed at once (reset), before any read or
    // handshake. Phones behind one NAT share an address.
    int max_per_address = 64;
    size_t max_head_bytes = 8192;
    size_t max_upload_bytes = 1 << 20;
    int keep_alive_ms = 2000;   // idle between requests
    int request_ms = 10000;     // to receive a whole request, and to make progress writing
    int max_requests = 1000;    // per connection
    // HTTPS when set: the TLS context for each new connection (it changes
    // when the certificate is reloaded; open connections keep theirs). The
    // handshake runs on the loop, within the context's handshake timeout,
    // and a verified client certificate's MAC goes with every request.
    std::function<std::shared_ptr<tls::TlsServerContext>()> tls;
    // Where failed handshakes are logged; unset: the service's, else nowhere.
    SecurityLog* security_log = nullptr;
    // A listening socket bound already (net::bindSocket), which start()
    // takes over instead of binding bind:port; -1: start() binds. Lets
    // `serve` bind every port before it opens the store, so a taken port
    // fails first and alone.
    int listen_fd = -1;
    // Pages served on HTTPS (`tls` set) under `page_prefix` ("/invite/"):
    // (method, the rest of the path, peer address) -> the page. Unset: none.
    std::string page_prefix;
    std::function<PageAnswer(const std::string&, const std::string&, const std::string&)> pages;
};

// The provisioning pipeline as the phones' HTTP(S) connections use it: the
// answer, and the fetch recorded.
class PipelineFetcher final : public Fetcher {
public:
    using Pages = std::function<PageAnswer(const std::string&, const std::string&, const std::string&)>;
    explicit PipelineFetcher(ProvisioningService& service, std::string page_prefix = "", Pages pages = nullptr)
        : service_(service), page_prefix_(std::move(page_prefix)), pages_(std::move(pages)) {}
    FetchResponse fetch(const FetchRequest& request) override {
        Fetched fetched = service_.fetch(request);
        service_.record(std::move(fetched.event));
        return std::move(fetched.response);
    }
    bool isPage(const std::string& target) const override {
        return pages_ && !page_prefix_.empty() && target.rfind(page_prefix_, 0) == 0;
    }
    // The rest of the path after the prefix, without a query.
    PageAnswer page(const std::string& method, const std::string& target, const std::string& peer_ip) override {
        std::string rest = target.substr(page_prefix_.size());
        rest = rest.substr(0, rest.find('?'));
        return pages_(method, rest, peer_ip);
    }

private:
    ProvisioningService& service_;
    std::string page_prefix_;
    Pages pages_;
};

class LoopServer {
public:
    // Every request goes to `fetcher` (PipelineFetcher: the provisioning
    // pipeline), from the loops' threads at once.
    LoopServer(Fetcher& fetcher, const Clock& clock, LoopOptions options);
    // The same, through the provisioning pipeline (a PipelineFetcher of its own).
    LoopServer(ProvisioningService& service, const Clock& clock, LoopOptions options);
    ~LoopServer();
    LoopServer(const LoopServer&) = delete;
    LoopServer& operator=(const LoopServer&) = delete;

    // Binds the port's socket (or takes options.listen_fd), shares it among
    // the loops and starts their threads; port() is then bound. A port
    // another process holds is an error with reason "in_use".
    Status start();
    void stop();
    int port() const { return port_; }
    // Connections open now, all loops (for the memory chore, app/).
    int connections() const { return connections_.load(std::memory_order_relaxed); }

private:
    class Loop;
    enum class Refusal { kPerAddress, kFull };
    void setLimits();
    // A connection closed unanswered: a conn_refused refusal in the
    // security log (rate-limited there: a flood must not flood the log).
    void noteRefusal(Refusal why, const std::string& peer);
    std::unique_ptr<Fetcher> owned_fetcher_;
    Fetcher& fetcher_;
    const Clock& clock_;
    LoopOptions options_;
    ConnectionLimits limits_;
    int port_ = 0;
    int max_open_ = 0;
    std::atomic<int> connections_{0};
    net::AddressCounter per_address_;
    std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace prov::http
