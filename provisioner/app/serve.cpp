// provisioner serve: wires the subsystems, binds the front ends, writes the
// ports file and waits for a signal.

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/PatternFormatter.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <signal.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <fstream>
#include <functional>
#include <iostream>

#include "provisioner/admin/api_handler.h"
#include "provisioner/http/loop_server.h"
#include "provisioner/admin/tls_socket.h"
#include "provisioner/tftp/server.h"
#include "provisioner/tls/certificate.h"
#include "provisioner/app/commands.h"
#include "provisioner/app/services.h"

namespace prov::app {

namespace {

Poco::Logger& setupLogging(const std::string& level) {
    Poco::AutoPtr<Poco::PatternFormatter> fmt = new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%SZ %p %s: %t");
    Poco::AutoPtr<Poco::FormattingChannel> channel =
        new Poco::FormattingChannel(fmt, Poco::AutoPtr<Poco::Channel>(new Poco::ConsoleChannel(std::clog)));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(level);
    return Poco::Logger::get("provisioner");
}

// Written whole to a temporary file and renamed, so a reader never sees half.
bool writePortsFile(const std::string& path, const std::vector<std::pair<std::string, int>>& ports) {
    const std::string temp = path + ".tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << "{";
        for (size_t i = 0; i < ports.size(); ++i)
            out << (i ? ", " : "") << "\"" << ports[i].first << "\": " << ports[i].second;
        out << "}\n";
        if (!out) return false;
    }
    return std::rename(temp.c_str(), path.c_str()) == 0;
}

// The admin API on Poco's HTTPServer, over TLS when `tls` is set.
std::unique_ptr<Poco::Net::HTTPServer> listenAdmin(Poco::Net::HTTPRequestHandlerFactory* factory,
                                                   Poco::ThreadPool& pool, const std::string& bind, int port,
                                                   admin::TlsContextSource tls, int& bound_port) {
    Poco::Net::ServerSocket socket = tls ? admin::TlsServerSocket(std::move(tls)) : Poco::Net::ServerSocket();
    socket.bind(Poco::Net::SocketAddress(bind, static_cast<Poco::UInt16>(port)), true);
    socket.listen(256);
    Poco::AutoPtr<Poco::Net::HTTPServerParams> params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(pool.capacity());
    params->setMaxQueued(64);
    params->setKeepAliveTimeout(Poco::Timespan(2, 0));
    params->setMaxKeepAliveRequests(100);
    params->setTimeout(Poco::Timespan(10, 0));
    auto server = std::make_unique<Poco::Net::HTTPServer>(factory, pool, socket, params);
    server->start();
    bound_port = socket.address().port();
    return server;
}

// The phones' HTTP (or, with `tls`, HTTPS) port on event loops; null, with
// one line printed, when it cannot listen.
std::unique_ptr<http::LoopServer> startLoops(Services& s, const ServerConfig& config, const std::string& name,
                                             const std::string& bind, int64_t port,
                                             std::function<std::shared_ptr<tls::TlsServerContext>()> tls,
                                             std::vector<std::pair<std::string, int>>& ports) {
    http::LoopOptions o;
    o.bind = bind;
    o.port = static_cast<int>(port);
    o.loops = static_cast<int>(config.http_loops);
    o.max_connections = static_cast<int>(config.http_max_connections);
    o.max_upload_bytes = static_cast<size_t>(config.uploads_max_bytes);
    o.tls = std::move(tls);
    auto server = std::make_unique<http::LoopServer>(*s.provisioning, s.clock, o);
    if (auto st = server->start(); !st) {
        std::cerr << "provisioner: " << st.error().message << " (" << name << ".port)\n";
        return nullptr;
    }
    ports.emplace_back(name, server->port());
    Poco::Logger::get("provisioner").information("phones: %s on %s:%d (%Ld event loops)", Poco::toUpper(name), bind,
                                                 server->port(), config.http_loops);
    return server;
}

// tls.server_names, or the host name and every address of this machine.
std::vector<std::string> serverNames(const ServerConfig& config) {
    if (!config.tls_server_names.empty()) return config.tls_server_names;
    std::vector<std::string> names;
    char host[256] = {0};
    if (gethostname(host, sizeof host - 1) == 0 && host[0]) names.emplace_back(host);
    names.emplace_back("localhost");
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
        for (ifaddrs* i = list; i; i = i->ifa_next) {
            if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)) continue;
            char buf[NI_MAXHOST];
            const socklen_t len = i->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
            if (getnameinfo(i->ifa_addr, len, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) != 0) continue;
            std::string a = buf;
            if (a.find('%') != std::string::npos) continue;  // link-local with a scope
            if (std::find(names.begin(), names.end(), a) == names.end()) names.push_back(a);
        }
        freeifaddrs(list);
    }
    return names;
}

class TlsContexts {
public:
    std::shared_ptr<tls::TlsServerContext> current() {
        std::lock_guard lock(mutex_);
        return current_;
    }
    void replace(std::shared_ptr<tls::TlsServerContext> next) {
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
    }

private:
    std::mutex mutex_;
    std::shared_ptr<tls::TlsServerContext> current_;
};

Result<std::shared_ptr<tls::TlsServerContext>> loadTls(const ServerConfig& config, Poco::Logger& log) {
    auto files = tls::ensureServerCertificate(config.certs_dir, serverNames(config));
    if (!files) return files.error();
    if (files.value().generated)
        log.notice("generated a self-signed ECDSA P-256 certificate in %s", files.value().cert_path);
    const tls::ClientCertMode mode = config.https_client_cert == "none"       ? tls::ClientCertMode::kNone
                                     : config.https_client_cert == "required" ? tls::ClientCertMode::kRequired
                                                                              : tls::ClientCertMode::kOptional;
    return tls::TlsServerContext::create({files.value().cert_path, files.value().key_path, config.tls_legacy_phones,
                                          5000, config.certs_dir + "/vendor-ca", mode});
}

// A signature of every file under `dir` (names, sizes, times), so a change to
// any template or vendor.json is noticed.
std::string folderSignature(const std::string& dir) {
    std::string sig;
    try {
        std::vector<std::string> stack{dir};
        while (!stack.empty()) {
            const std::string d = stack.back();
            stack.pop_back();
            for (Poco::DirectoryIterator it(d), end; it != end; ++it) {
                if (it->isDirectory()) {
                    stack.push_back(it->path());
                } else {
                    sig += it->path() + ":" + std::to_string(it->getSize()) + ":" +
                           std::to_string(it->getLastModified().epochMicroseconds()) + ";";
                }
            }
        }
    } catch (const Poco::Exception&) {
    }
    return sig;
}

void reloadTemplates(Services& s, Poco::Logger& log) {
    auto bundle = loadBundle(s.config.templates_dir);
    if (!bundle) {
        log.error("templates not reloaded, the previous ones stay in use: %s", bundle.error().message);
        return;
    }
    s.bundles->replace(bundle.value());
    s.generation->refresh();
    log.notice("templates reloaded from %s", s.config.templates_dir);
}

}  // namespace

int runServe(const ServerConfig& config) {
    // Signals are taken by sigwait below; block them before any thread starts
    // so every thread inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    Poco::Logger& log = setupLogging(config.log_level);
    // One socket per TFTP transfer and one per HTTP connection: lift the
    // descriptor limit to what the system allows.
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    MigrationReport report;
    auto opened = openServices(config, Migrate::kYes, &report);
    if (!opened) {
        std::cerr << "provisioner: " << opened.error().message << "\n";
        return 1;
    }
    Services& s = *opened.value();
    for (const auto& m : report.applied) log.information("store migration applied: %s", m);

    auto tokens = s.inventory->tokenCount();
    if (!tokens) {
        std::cerr << "provisioner: " << tokens.error().message << "\n";
        return 1;
    }
    if (tokens.value() == 0) {
        auto token = s.inventory->createToken(Role::kAdmin, "first-start");
        if (!token) {
            std::cerr << "provisioner: " << token.error().message << "\n";
            return 1;
        }
        // Only the hash is stored: this is the one time the token can be seen.
        std::cout << "admin token: " << token.value() << std::endl;
        log.notice("first start: an admin API token was printed on standard output; it is not shown again");
    }

    TlsContexts tls_contexts;
    {
        auto ctx = loadTls(config, log);
        if (!ctx) {
            std::cerr << "provisioner: " << ctx.error().message << " (certs.dir)\n";
            return 1;
        }
        tls_contexts.replace(ctx.value());
    }
    // The admin API's threads. Declared before the servers so that they
    // outlive them on every way out of this function.
    Poco::ThreadPool admin_pool(1, 8);
    std::vector<std::pair<std::string, int>> ports;
    std::unique_ptr<Poco::Net::HTTPServer> admin;
    int port = 0;
    auto http_loops = startLoops(s, config, "http", config.http_bind, config.http_port, nullptr, ports);
    if (!http_loops) return 1;
    auto https_loops = startLoops(s, config, "https", config.https_bind, config.https_port,
                                  [&tls_contexts] { return tls_contexts.current(); }, ports);
    if (!https_loops) return 1;
    tftp::ServerOptions tftp_options;
    tftp_options.bind = config.tftp_bind;
    tftp_options.port = config.tftp_port;
    tftp_options.loops = static_cast<int>(config.tftp_loops);
    tftp_options.max_transfers = static_cast<int>(config.tftp_max_transfers);
    tftp_options.max_per_source = static_cast<int>(config.tftp_max_per_source);
    tftp::Server tftp_server(*s.provisioning, s.clock, tftp_options);
    if (auto st = tftp_server.start(); !st) {
        std::cerr << "provisioner: " << st.error().message << " (tftp.port)\n";
        return 1;
    }
    ports.emplace_back("tftp", tftp_server.port());
    log.information("phones: TFTP on %s:%d", config.tftp_bind, tftp_server.port());
    try {
        admin::PreviewFn preview = [&s](const std::string& mac, const std::string& file) {
            return s.provisioning->preview(mac, file);
        };
        admin::TlsContextSource admin_tls;
        if (config.admin_tls) admin_tls = [&tls_contexts] { return tls_contexts.current(); };
        admin = listenAdmin(new admin::ApiHandlerFactory(*s.inventory, preview,
                                                         admin::ApiLimits{1 << 20, static_cast<size_t>(config.admin_max_import_bytes)},
                                                         Poco::Logger::get("admin")),
                            admin_pool, config.admin_bind, config.admin_port, std::move(admin_tls), port);
        ports.emplace_back("admin", port);
        log.information("admin API on %s:%d%s", config.admin_bind, port,
                        std::string(config.admin_tls ? " (HTTPS)" : ""));
    } catch (const Poco::Exception& e) {
        std::cerr << "provisioner: cannot listen for the admin API on " << config.admin_bind << ":"
                  << config.admin_port << " (admin.port): " << e.displayText() << "\n";
        return 1;
    }

    if (!config.ports_file.empty() && !writePortsFile(config.ports_file, ports)) {
        std::cerr << "provisioner: cannot write ports.file " << config.ports_file << "\n";
        return 1;
    }
    log.notice("provisioner ready (store %s)", config.store_path);

    // Once a second: notice config changes made by other processes (the CLI),
    // and every templates.poll_seconds a change under vendor-templates/.
    // SIGHUP reloads the templates at once.
    std::string signature = folderSignature(config.templates_dir);
    int64_t ticks = 0;
    // events.keep_days: pruned at start and hourly, a few thousand rows a
    // second so the event writer is never held up for long.
    bool prune_pending = config.events_keep_days > 0;
    int64_t pruned = 0;
    for (;;) {
        int sig = 0;
        timespec wait{1, 0};
        sig = sigtimedwait(&signals, nullptr, &wait);
        if (sig < 0) {
            s.generation->refresh();
            if (config.events_keep_days > 0 && ticks % 3600 == 0) prune_pending = true;
            if (prune_pending) {
                constexpr int64_t kChunk = 5000;
                auto n = s.inventory->pruneEvents(config.events_keep_days, kChunk);
                if (!n) {
                    log.error("cannot prune events: %s", n.error().message);
                    prune_pending = false;
                } else {
                    pruned += n.value();
                    if (n.value() < kChunk) {
                        prune_pending = false;
                        if (pruned) log.information("pruned %Ld events older than %Ld days", pruned, config.events_keep_days);
                        pruned = 0;
                    }
                }
            }
            if (config.templates_poll_seconds > 0 && ++ticks % config.templates_poll_seconds == 0) {
                const std::string now = folderSignature(config.templates_dir);
                if (now != signature) {
                    signature = now;
                    reloadTemplates(s, log);
                }
            }
            continue;
        }
        if (sig == SIGHUP) {
            signature = folderSignature(config.templates_dir);
            reloadTemplates(s, log);
            // New connections take the reloaded certificate; open ones keep theirs.
            auto ctx = loadTls(config, log);
            if (ctx) {
                tls_contexts.replace(ctx.value());
                log.notice("TLS certificate reloaded");
            } else {
                log.error("TLS certificate not reloaded, the previous one stays in use: %s", ctx.error().message);
            }
            continue;
        }
        log.notice("signal %d: stopping", sig);
        break;
    }
    tftp_server.stop();
    https_loops->stop();
    http_loops->stop();
    admin->stopAll(true);
    s.events->flush();
    return 0;
}

}  // namespace prov::app
