#include "provisioner/app/server.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/String.h>

#include <algorithm>
#include <iostream>

#include "provisioner/admin/api_handler.h"
#include "provisioner/admin/waiting_room.h"
#include "provisioner/app/folder_signature.h"

namespace prov::app {

namespace {

// The admin API on Poco's HTTPServer, over TLS when `tls` is set. A
// connection reaches a worker thread only with its request head (the
// waiting room, admin/waiting_room.h), within `head_timeout_ms` of its
// accept; a kept-alive one's next head has as long from its last answer.
std::unique_ptr<Poco::Net::HTTPServer> listenAdmin(Poco::Net::HTTPRequestHandlerFactory* factory,
                                                   Poco::ThreadPool& pool, const std::string& bind,
                                                   int port, admin::TlsContextSource tls,
                                                   int head_timeout_ms, int& bound_port) {
    admin::WaitingRoomOptions room;
    room.head_timeout_ms = head_timeout_ms;
    Poco::Net::ServerSocket socket = admin::WaitingRoomSocket(std::move(tls), room);
    socket.bind(Poco::Net::SocketAddress(bind, static_cast<Poco::UInt16>(port)), true);
    socket.listen(256);
    Poco::AutoPtr<Poco::Net::HTTPServerParams> params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(pool.capacity());
    params->setMaxQueued(64);
    params->setKeepAliveTimeout(Poco::Timespan(2, 0));
    params->setMaxKeepAliveRequests(100);
    params->setTimeout(Poco::Timespan(10, 0));  // each read of a body; each write
    auto server = std::make_unique<Poco::Net::HTTPServer>(
        new admin::HeadDeadlineFactory(factory, head_timeout_ms), pool, socket, params);
    server->start();
    bound_port = socket.address().port();
    return server;
}

// Appends " (key)" to an error's line, naming the setting at fault.
Error naming(Error e, const std::string& key) {
    e.message += " (" + key + ")";
    return e;
}

}  // namespace

Server::Server(const ServerConfig& config)
    : config_(config), log_(Poco::Logger::get("provisioner")) {}

Server::~Server() { stop(); }

Status Server::start() {
    TRY(openServices());
    auto context = loadTls(config_, log_);
    if (!context) return naming(context.error(), "certs.dir");
    tls_contexts_.replace(context.value());
    TRY(startPhones());
    TRY(startAdmin());
    if (!config_.ports_file.empty()) TRY(writePortsFile(config_.ports_file, ports_));
    template_signature_ = folderSignature(config_.templates_dir);
    prune_pending_ = config_.events_keep_days > 0;
    log_.notice("provisioner ready (store %s)", config_.store_path);
    return okStatus();
}

Status Server::openServices() {
    MigrationReport report;
    services_ = TRY(app::openServices(config_, Needs::kEverything, Migrate::kYes, &report));
    for (const auto& m : report.applied) log_.information("store migration applied: %s", m);
    if (TRY(services_->inventory->tokenCount()) > 0) return okStatus();
    const std::string token = TRY(services_->inventory->createToken(Role::kAdmin, "first-start"));
    // Only the hash is stored: this is the one time the token can be seen.
    std::cout << "admin token: " << token << std::endl;
    log_.notice(
        "first start: an admin API token was printed on standard output; it is not shown again");
    return okStatus();
}

Result<std::unique_ptr<http::LoopServer>> Server::startLoops(
    const std::string& name, const std::string& bind, int port,
    std::function<std::shared_ptr<tls::TlsServerContext>()> tls) {
    http::LoopOptions o;
    o.bind = bind;
    o.port = port;
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
    auto server = std::make_unique<http::LoopServer>(*services_->provisioning, services_->clock, o);
    if (auto st = server->start(); !st) return naming(st.error(), name + ".port");
    ports_.emplace_back(name, server->port());
    log_.information("phones: %s on %s:%d (%Ld event loops)", Poco::toUpper(name), bind,
                     server->port(), config_.http_loops);
    return server;
}

Status Server::startPhones() {
    http_ = TRY(startLoops("http", config_.http_bind, config_.http_port, nullptr));
    https_ = TRY(startLoops("https", config_.https_bind, config_.https_port,
                            [this] { return tls_contexts_.current(); }));
    tftp::ServerOptions o;
    o.bind = config_.tftp_bind;
    o.port = config_.tftp_port;
    o.loops = static_cast<int>(config_.tftp_loops);
    o.max_transfers = static_cast<int>(config_.tftp_max_transfers);
    o.max_per_source = static_cast<int>(config_.tftp_max_per_source);
    tftp_ = std::make_unique<tftp::Server>(*services_->provisioning, services_->clock, o);
    if (auto st = tftp_->start(); !st) return naming(st.error(), "tftp.port");
    ports_.emplace_back("tftp", tftp_->port());
    log_.information("phones: TFTP on %s:%d", config_.tftp_bind, tftp_->port());
    return okStatus();
}

Status Server::startAdmin() {
    Services& s = *services_;
    admin::PreviewFn preview = [&s](const std::string& mac, const std::string& file) {
        return s.provisioning->preview(mac, file);
    };
    admin::TlsContextSource tls;
    if (config_.admin_tls) tls = [this] { return tls_contexts_.current(); };
    const admin::ApiLimits limits{1 << 20, static_cast<size_t>(config_.admin_max_import_bytes)};
    int port = 0;
    try {
        admin_ = listenAdmin(
            new admin::ApiHandlerFactory(*s.inventory, preview, limits, Poco::Logger::get("admin")),
            admin_pool_, config_.admin_bind, config_.admin_port, std::move(tls),
            static_cast<int>(config_.admin_header_timeout * 1000), port);
    } catch (const Poco::Exception& e) {
        return Error::invalid("cannot listen for the admin API on " + config_.admin_bind + ":" +
                              std::to_string(config_.admin_port) +
                              " (admin.port): " + e.displayText());
    }
    ports_.emplace_back("admin", port);
    log_.information("admin API on %s:%d%s", config_.admin_bind, port,
                     std::string(config_.admin_tls ? " (HTTPS)" : ""));
    return okStatus();
}

void Server::wait(const sigset_t& signals) {
    for (;;) {
        timespec second{1, 0};
        const int sig = sigtimedwait(&signals, nullptr, &second);
        if (sig < 0) {
            everySecond();
        } else if (sig == SIGHUP) {
            reloadTemplates();
            reloadCertificate();
        } else {
            log_.notice("signal %d: stopping", sig);
            return;
        }
    }
}

void Server::stop() {
    if (tftp_) tftp_->stop();
    if (https_) https_->stop();
    if (http_) http_->stop();
    if (admin_) admin_->stopAll(true);
    if (services_ && services_->events) services_->events->flush();
}

}  // namespace prov::app
