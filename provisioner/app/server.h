#pragma once

// provisioner serve, in the shape of Poco's HTTPTimeServer::main: start the
// front ends, wait for a signal, stop them.
//
//   Server server(config);
//   TRY(server.start());      // or print its one line and exit 1
//   server.wait(signals, notifier);  // SIGINT, SIGTERM end it; SIGHUP reloads
//   server.stop();

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <signal.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "provisioner/admin/import_jobs.h"
#include "provisioner/admin/staging_stream.h"
#include "provisioner/app/ports_file.h"
#include "provisioner/app/server_config.h"
#include "provisioner/app/service_notifier.h"
#include "provisioner/app/services.h"
#include "provisioner/app/tls_contexts.h"
#include "provisioner/core/memory_trim.h"
#include "provisioner/http/loop_server.h"
#include "provisioner/tftp/server.h"

namespace prov::app {

class Server {
  public:
    explicit Server(const ServerConfig& config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Takes the store's server lock and binds every port (one server per
    // store and per port: a second `serve` fails here, before it writes
    // anything, with reason "in_use"), opens the services (migrating the
    // store), makes the first admin token on a store's first start (printed
    // on a terminal, else written to first_token.h's file), loads the TLS
    // certificate, starts the phones' HTTP, HTTPS and TFTP and the admin API,
    // and writes the ports file. An error is the one line to print, naming
    // the key at fault.
    Status start();

    // Until SIGINT or SIGTERM (blocked in every thread by the caller): once a
    // second, notice configuration changed by other processes, prune old
    // events and look for changed templates, then tell `notifier` WATCHDOG=1
    // when its manager asks for it (so the watchdog sees this loop and its
    // store reads go on; WatchdogSec= of 2 s or more); on SIGHUP, reload the
    // templates and the certificate between RELOADING=1 and READY=1.
    void wait(const sigset_t& signals, const ServiceNotifier& notifier);

    // Stops the front ends and flushes the events still queued.
    void stop();

  private:
    // The phones' listening sockets from bindPorts() until their servers
    // take them over; closed if they never do.
    struct BoundSockets {
        int http = -1;
        int https = -1;
        int tftp = -1;
        BoundSockets() = default;
        BoundSockets(const BoundSockets&) = delete;
        BoundSockets& operator=(const BoundSockets&) = delete;
        ~BoundSockets();
    };

    Status bindPorts();

    // Freed memory goes back to the system once this many phone connections
    // fewer are open than at the peak since the last time (a TLS connection
    // held about 35 KiB).
    static constexpr int64_t kTrimAfterDrop = 128;
    Status openServices();
    Status firstToken();
    Status startPhones();
    Status startResync();
    Status startOutbox();
    Status startAdmin();
    Result<std::unique_ptr<http::LoopServer>> startLoops(
        const std::string& name, const std::string& bind, int& listen_fd,
        std::function<std::shared_ptr<tls::TlsServerContext>()> tls);

    // The chores of wait().
    void everySecond();
    void pollStoreGeneration();
    void pruneEvents();
    std::string templateSignature() const;
    void reloadTemplates();
    void reloadCertificate();
    void trimMemory();
    void refreshTickets();
    void lead();
    void mergeSweep();
    // `loaded_before`: at a reload, the digest of the server.crt served
    // until then (checkFleetCertificate).
    void checkCertificate(const std::optional<std::string>& loaded_before);

    const ServerConfig config_;
    Poco::Logger& log_;
    // Held from start() until the Server is destroyed, after everything
    // that uses the store.
    std::unique_ptr<ServerLock> store_lock_;
    BoundSockets sockets_;
    std::unique_ptr<Poco::Net::ServerSocket> admin_socket_;
    std::unique_ptr<Services> services_;
    // The fleet's session tickets (ticket_keys.h), in every TLS context.
    std::shared_ptr<tls::SessionTickets> tickets_;
    bool tickets_failing_ = false;  // the last refresh failed (logged once)
    int64_t tickets_failed_at_ = 0;  // ticks_ of that failure
    static constexpr int64_t kTicketRetrySeconds = 30;
    TlsContexts tls_contexts_;
    // Shared by the admin API's handlers: declared before its threads so
    // that they outlive them, after services_ since an import writes to its
    // inventory.
    std::unique_ptr<admin::StreamGate> streams_;
    std::unique_ptr<admin::ImportJobs> imports_;
    // Declared before the front ends so that the admin API's threads outlive it.
    // Staging streams get threads of their own on top (startAdmin).
    Poco::ThreadPool admin_pool_{1, 8};
    std::unique_ptr<http::LoopServer> http_;
    std::unique_ptr<http::LoopServer> https_;
    std::unique_ptr<tftp::Server> tftp_;
    std::unique_ptr<Poco::Net::HTTPServer> admin_;
    BoundPorts ports_;

    int64_t started_at_;  // seconds since the epoch, for /metrics
    std::string template_signature_;
    TrimAfterDrop trim_{kTrimAfterDrop};
    int64_t ticks_ = 0;
    bool prune_pending_ = false;
    int64_t pruned_ = 0;
    // Whether this node leads the fleet (Store::tryLead), as last logged;
    // whether the last try failed (logged once).
    bool leading_ = false;
    bool lead_failing_ = false;
    bool merge_failing_ = false;  // the last sweep merge failed (logged once)
    bool certificate_differs_ = false;  // from the fleet's (logged once)
    // The SHA-256 of the server.crt this node serves (last loaded); "" when
    // it could not be read.
    std::string loaded_certificate_;
};

}  // namespace prov::app
