#include "provisioner/app/server.h"
#include "provisioner/app/ticket_keys.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/String.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iostream>
#include <utility>

#include "provisioner/admin/api_catalog.h"
#include "provisioner/admin/api_handler.h"
#include "provisioner/admin/waiting_room.h"
#include "provisioner/app/config_keys.h"
#include "provisioner/app/fleet_certificate.h"
#include "provisioner/app/first_token.h"
#include "provisioner/app/folder_signature.h"
#include "provisioner/app/scrape.h"
#include "provisioner/invite/html.h"
#include "provisioner/core/sockets.h"
#include "provisioner/core/text.h"
#include "provisioner/model/settings.h"

namespace prov::app {

namespace {

// The admin API's socket, over TLS when `tls` is set. A connection reaches a
// worker thread only with its request head (the waiting room,
// admin/waiting_room.h), within `head_timeout_ms` of its accept. SO_REUSEADDR
// alone: Poco's bind(address, true) would set SO_REUSEPORT too, and let a
// second server share the port.
Result<std::unique_ptr<Poco::Net::ServerSocket>> bindAdmin(const std::string& bind, int port,
                                                           admin::TlsContextSource tls, int head_timeout_ms) {
    const std::string where = bind + ":" + std::to_string(port);
    try {
        admin::WaitingRoomOptions room;
        room.head_timeout_ms = head_timeout_ms;
        auto socket = std::make_unique<Poco::Net::ServerSocket>(admin::WaitingRoomSocket(std::move(tls), room));
        socket->bind(Poco::Net::SocketAddress(bind, static_cast<Poco::UInt16>(port)), true, false);
        socket->listen(256);
        return socket;
    } catch (const Poco::Exception& e) {
        if (e.code() == EADDRINUSE)
            return Error{Code::kUnavailable, "in_use",
                         "admin: " + where +
                             " is in use by another process; one server per port (admin.port)",
                         {}, {}};
        return configError(e.code() == EADDRNOTAVAIL ? "admin.bind" : "admin.port",
                           "cannot listen for the admin API on " + where + ": " + e.displayText());
    }
}

// The admin API on Poco's HTTPServer, on the socket bindAdmin made; a
// kept-alive connection's next head has `head_timeout_ms` from its last answer.
std::unique_ptr<Poco::Net::HTTPServer> listenAdmin(Poco::Net::HTTPRequestHandlerFactory* factory,
                                                   Poco::ThreadPool& pool,
                                                   const Poco::Net::ServerSocket& socket, int head_timeout_ms) {
    Poco::AutoPtr<Poco::Net::HTTPServerParams> params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(pool.capacity());
    params->setMaxQueued(64);
    // A kept-alive connection's next head must also come within the head
    // timeout (the socket enforces it): waiting longer for it is pointless.
    params->setKeepAliveTimeout(
        Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(std::min(2000, head_timeout_ms)) * 1000));
    params->setMaxKeepAliveRequests(100);
    params->setTimeout(Poco::Timespan(10, 0));  // each read of a body; each write
    auto server = std::make_unique<Poco::Net::HTTPServer>(
        new admin::HeadDeadlineFactory(factory, head_timeout_ms), pool, socket, params);
    server->start();
    return server;
}

// Names the setting at fault. What the configuration names cannot be used:
// a configuration error (exit 78, "config: KEY: ..."); a port another
// process holds is not the configuration's fault (exit 75), and says which.
Error naming(Error e, const std::string& key) {
    if (e.reason == "in_use") {
        e.message += " (" + key + ")";
        return e;
    }
    return configError(key, e.message);
}

}  // namespace

Server::Server(const ServerConfig& config)
    : config_(config), log_(Poco::Logger::get("provisioner")), started_at_(SystemClock().nowSeconds()) {}

Server::BoundSockets::~BoundSockets() {
    for (int fd : {http, https, tftp}) {
        if (fd >= 0) ::close(fd);
    }
}

Server::~Server() { stop(); }

Status Server::start() {
    // One server per store, then one per port set, both before anything is
    // written: a second `serve` started by mistake fails with one line and
    // leaves the first one's phones, store and ports alone.
    store_lock_ = TRY(lockStore(config_));
    TRY(bindPorts());
    TRY(openServices());
    // Several nodes on one PostgreSQL store: a change made through another
    // is seen here as it commits, not at the next once-a-second look.
    if (services_->postgres) {
        services_->config_listener = std::make_unique<PgConfigListener>(
            *services_->postgres, [g = services_->generation.get()] { g->refresh(); });
        // Session-ticket keys through the store, so that a phone resumes on
        // whichever node it reaches. With SQLite one node holds the store:
        // its keys stay in this process's memory (mbedTLS's own ticket
        // keys), where no backup of the store can carry them.
        tickets_ = storeTickets(*services_->store, *services_->random, services_->clock,
                                config_.tls_ticket_rotation_seconds);
        refreshTickets();
    }
    // Before the resync dispatcher and the firmware catalog start: the first
    // node of a fleet leads from its start.
    lead();
    auto context = loadTls(config_, log_, tickets_);
    if (!context) return naming(context.error(), "certs.dir");
    tls_contexts_.replace(context.value());
    if (auto digest = serverCertificateDigest(services_->hasher, config_.certs_dir))
        loaded_certificate_ = digest.value();
    if (services_->postgres) checkCertificate(std::nullopt);
    // Again: at a first start server.crt was only just generated.
    services_->trust->replace(TRY(loadTrust(config_, log_)));
    // Every image is hashed again in the background; until then it is refused.
    if (auto st = services_->firmware->start(); !st) return naming(st.error(), "firmware.dir");
    TRY(startPhones());
    TRY(startResync());
    TRY(startOutbox());
    TRY(startAdmin());
    if (!config_.ports_file.empty()) {
        if (auto st = writePortsFile(config_.ports_file, ports_); !st) return naming(st.error(), "ports.file");
    }
    template_signature_ = templateSignature();
    prune_pending_ = config_.events_keep_days > 0;
    log_.notice("provisioner ready (store %s)", app::storeName(config_));
    return okStatus();
}

Status Server::bindPorts() {
    auto bind = [](const std::string& name, const std::string& address, int port,
                   int type) -> Result<int> {
        auto fd = net::bindSocket(name, address, port, type, false);
        if (!fd) return naming(fd.error(), name + (fd.error().reason == "bind_address" ? ".bind" : ".port"));
        return fd;
    };
    sockets_.http = TRY(bind("http", config_.http_bind, config_.http_port, SOCK_STREAM));
    sockets_.https = TRY(bind("https", config_.https_bind, config_.https_port, SOCK_STREAM));
    sockets_.tftp = TRY(bind("tftp", config_.tftp_bind, config_.tftp_port, SOCK_DGRAM));
    admin::TlsContextSource tls;
    if (config_.admin_tls) tls = [this] { return tls_contexts_.current(); };
    admin_socket_ = TRY(bindAdmin(config_.admin_bind, config_.admin_port, std::move(tls),
                                  static_cast<int>(config_.admin_header_timeout * 1000)));
    return okStatus();
}

Status Server::openServices() {
    MigrationReport report;
    services_ = TRY(app::openServices(config_, Needs::kServer, Migrate::kYes, &report));
    for (const auto& m : report.applied) log_.information("store migration applied: %s", m);
    // What migration 8 could not turn into a zone name (an offset no Etc
    // zone has, such as +5:30) renders as a fixed offset with no DST rule:
    // said at every start, not only by `migrate`, until the admin picks a city.
    auto values = services_->sqlite ? services_->sqlite->settingValues("timezone")
                                    : Result<std::vector<std::pair<std::string, std::string>>>(
                                          std::vector<std::pair<std::string, std::string>>{});
    if (values) {
        for (const auto& [scope, value] : values.value()) {
            if (!legacyOffsetMinutes(value)) continue;
            log_.warning("settings: timezone of %s is the offset %s: give a zone name (such as Asia/Kolkata) "
                         "for its daylight-saving rule",
                         scope.empty() ? std::string("the global settings") : "device " + scope, value);
        }
    }
    if (TRY(services_->inventory->tokenCount()) > 0) return okStatus();
    return firstToken();
}

// Only the hash is stored: this is the one time the token can be seen. On a
// terminal it is printed; elsewhere standard output is a journal or a log
// file, kept long and read by many, so the token goes to a 0600 file instead.
Status Server::firstToken() {
    Inventory& inventory = *services_->inventory;
    const Actor first{"first start", Role::kAdmin};
    const NewToken made = TRY(inventory.createToken(TokenSpec{Role::kAdmin, "first-start", ""}, first));
    if (::isatty(STDOUT_FILENO)) {
        std::cout << "admin token: " << made.secret << std::endl;
        log_.notice("first start: an admin API token was printed on standard output; it is not shown again");
        return okStatus();
    }
    const std::string path = adminTokenPath(config_.store_path);
    if (auto st = writeSecretFile(path, made.secret + "\n"); !st) {
        // Nobody will ever see this token: it must not work either.
        (void)inventory.revokeToken(std::to_string(made.record.id), first);
        return Error::invalid(st.error().message +
                              "; make an admin token with 'provisioner token create --role admin'");
    }
    log_.notice("first start: an admin API token was written to %s (mode 0600); it is not shown again",
                text::forLog(path));
    return okStatus();
}

Result<std::unique_ptr<http::LoopServer>> Server::startLoops(
    const std::string& name, const std::string& bind, int& listen_fd,
    std::function<std::shared_ptr<tls::TlsServerContext>()> tls) {
    http::LoopOptions o;
    o.bind = bind;
    o.listen_fd = std::exchange(listen_fd, -1);
    o.loops = static_cast<int>(config_.http_loops);
    o.max_connections = static_cast<int>(config_.http_max_connections);
    o.max_per_address = static_cast<int>(config_.http_max_per_address);
    // HTTPS: https.max_connections bounds the TLS state; a 503 past it would
    // cost the handshake it is there to save, so past it is a reset.
    if (tls)
        o.max_open = static_cast<int>(
            std::min(2 * config_.http_max_connections, config_.https_max_connections));
    o.max_upload_bytes = static_cast<size_t>(config_.uploads_max_bytes);
    o.tls = std::move(tls);
    // HTTPS only: the softphone invitation's pages (invite/invitations.h).
    if (o.tls && services_->invitations) {
        o.page_prefix = "/invite/";
        o.pages = [inv = services_->invitations.get()](const std::string& method, const std::string& token,
                                                       const std::string& peer) {
            const invite::PageResponse p = inv->page(method, token, peer);
            return http::PageAnswer{p.status, p.body, invite::pageCsp()};
        };
    }
    auto server = std::make_unique<http::LoopServer>(*services_->provisioning, services_->clock, o);
    if (auto st = server->start(); !st) return naming(st.error(), name + ".port");
    ports_.emplace_back(name, server->port());
    log_.information("phones: %s on %s:%d (%Ld event loops)", Poco::toUpper(name), bind,
                     server->port(), config_.http_loops);
    return server;
}

Status Server::startPhones() {
    http_ = TRY(startLoops("http", config_.http_bind, sockets_.http, nullptr));
    https_ = TRY(startLoops("https", config_.https_bind, sockets_.https,
                            [this] { return tls_contexts_.current(); }));
    tftp::ServerOptions o;
    o.bind = config_.tftp_bind;
    o.listen_fd = std::exchange(sockets_.tftp, -1);
    o.loops = static_cast<int>(config_.tftp_loops);
    o.slots.max_total = static_cast<int>(config_.tftp_max_transfers);
    o.slots.max_verified_per_source = static_cast<int>(config_.tftp_max_per_source);
    o.slots.max_unverified_per_source = static_cast<int>(config_.tftp_max_unverified_per_source);
    o.limits.unverified_wait_us = config_.tftp_unverified_seconds * 1'000'000;
    o.max_memory_bytes = static_cast<uint64_t>(config_.tftp_max_memory_bytes);
    tftp_ = std::make_unique<tftp::Server>(*services_->provisioning, services_->clock, o);
    if (auto st = tftp_->start(); !st) return naming(st.error(), "tftp.port");
    ports_.emplace_back("tftp", tftp_->port());
    log_.information("phones: TFTP on %s:%d", config_.tftp_bind, tftp_->port());
    return okStatus();
}

// Before the admin API: invitations it queues wake the outbox's thread.
Status Server::startOutbox() {
    if (!services_->invitations) return okStatus();
    auto outbox = makeOutbox(*services_);
    TRY(outbox->start());
    services_->outbox = std::move(outbox);
    if (config_.smtp_host.empty()) {
        log_.information("mail: no relay (smtp.host): invitations are refused");
    } else {
        log_.information("mail: invitations through %s:%d (STARTTLS %s)", config_.smtp_host, config_.smtp_port,
                         config_.smtp_starttls);
    }
    return okStatus();
}

// Before the admin API: its changes wake the dispatcher from then on.
Status Server::startResync() {
    auto dispatcher = makeResync(*services_);
    if (!dispatcher) {
        log_.information("resync pushes: off (resync.route)");
        return okStatus();
    }
    if (auto st = dispatcher->start(); !st) return naming(st.error(), "resync.port");
    if (dispatcher->port()) ports_.emplace_back("resync", dispatcher->port());
    log_.information("resync pushes: %s, at most %Ld a second%s", config_.resync_route, config_.resync_rate,
                     dispatcher->port() ? " (SIP from UDP port " + std::to_string(dispatcher->port()) + ")"
                                        : std::string());
    services_->resync = std::move(dispatcher);
    return okStatus();
}

Status Server::startAdmin() {
    Services& s = *services_;
    admin::PreviewFn preview = [&s](const std::string& mac, const std::string& file) {
        return s.provisioning->preview(mac, file);
    };
    admin::CatalogFn catalog;
    if (s.bundles) {
        catalog = [b = s.bundles.get()] { return admin::catalogOf(b->current()->catalog); };
    }
    imports_ = std::make_unique<admin::ImportJobs>(s.clock);
    admin::StreamOptions stream_options;
    stream_options.max_streams = static_cast<int>(config_.portal_streams);
    stream_options.lifetime = std::chrono::seconds(config_.portal_stream_max);
    streams_ = std::make_unique<admin::StreamGate>(stream_options);
    // A stream holds its thread for its whole life: the requests keep the 8 they had.
    admin_pool_.addCapacity(stream_options.max_streams);
    admin::ApiContext context{*s.inventory, std::move(preview), s.clock, s.firmware.get(), std::move(catalog),
                              imports_.get(), s.invitations.get(), config_.admin_tls};
    const admin::ApiGuards guards{*s.security_log, *s.auth_guard, streams_.get()};
    const admin::ApiLimits limits{1 << 20, static_cast<size_t>(config_.admin_max_import_bytes),
                                  config_.firmware_max_bytes};
    // The front ends started before this and are stopped after it (stop()).
    const ScrapeSources scrape{s.events.get(), http_.get(),     https_.get(), tftp_.get(),
                               s.sweep.get(),  s.bundles.get(), started_at_,  s.store.get()};
    admin::OpsSources ops{[scrape] { return scrapeMetrics(scrape); },
                          [&s] { return checkReadiness(s.store.get(), s.bundles.get(), s.events.get()); }};
    try {
        admin_ = listenAdmin(
            new admin::ApiHandlerFactory(std::move(context), limits, guards, Poco::Logger::get("admin"),
                                        config_.portal_dir, std::move(ops)),
            admin_pool_, *admin_socket_, static_cast<int>(config_.admin_header_timeout * 1000));
    } catch (const Poco::Exception& e) {
        return Error::invalid("cannot serve the admin API on " + config_.admin_bind + ":" +
                              std::to_string(config_.admin_port) +
                              " (admin.port): " + e.displayText());
    }
    const int port = admin_socket_->address().port();
    ports_.emplace_back("admin", port);
    log_.information("admin API on %s:%d%s", config_.admin_bind, port,
                     std::string(config_.admin_tls ? " (HTTPS)" : ""));
    if (config_.admin_tls_automatic)
        log_.notice("admin API: HTTPS because admin.bind %s is not a loopback address (use https:// URLs)",
                    config_.admin_bind);
    return okStatus();
}

void Server::wait(const sigset_t& signals, const ServiceNotifier& notifier) {
    bool watchdog_failed = false;
    for (;;) {
        timespec second{1, 0};
        const int sig = sigtimedwait(&signals, nullptr, &second);
        if (sig < 0) {
            everySecond();
            if (notifier.watchdogMicros() > 0) {
                // Said once, not every second, when the manager stops listening.
                auto st = notifier.notify("WATCHDOG=1");
                if (!st && !watchdog_failed) log_.error("service manager: %s", st.error().message);
                watchdog_failed = !st;
            }
        } else if (sig == SIGHUP) {
            (void)notifier.notify(reloadingState());
            reloadTemplates();
            reloadCertificate();
            if (auto st = notifier.notify("READY=1"); !st)
                log_.error("service manager: %s", st.error().message);
        } else {
            log_.notice("signal %d: stopping", sig);
            return;
        }
    }
}

void Server::stop() {
    if (services_ && services_->resync) services_->resync->stop();
    // The lead goes at once, not when the process ends after the flushes below.
    if (services_ && services_->postgres) services_->postgres->resign();
    if (tftp_) tftp_->stop();
    if (https_) https_->stop();
    if (http_) http_->stop();
    if (streams_) streams_->stop();
    if (admin_) admin_->stopAll(true);
    if (services_ && services_->events) services_->events->flush();
}

}  // namespace prov::app
