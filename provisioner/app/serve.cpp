// provisioner serve: wires the subsystems, binds the front ends, writes the
// ports file and waits for a signal.

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/File.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/PatternFormatter.h>
#include <signal.h>

#include <fstream>
#include <iostream>

#include "provisioner/admin/api_handler.h"
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

    std::vector<std::pair<std::string, int>> ports;
    std::unique_ptr<Poco::Net::HTTPServer> admin;
    try {
        Poco::Net::ServerSocket socket;
        socket.bind(Poco::Net::SocketAddress(config.admin_bind, static_cast<Poco::UInt16>(config.admin_port)), true);
        socket.listen(64);
        Poco::AutoPtr<Poco::Net::HTTPServerParams> params = new Poco::Net::HTTPServerParams();
        params->setMaxThreads(8);
        params->setMaxQueued(64);
        params->setKeepAliveTimeout(Poco::Timespan(5, 0));
        params->setTimeout(Poco::Timespan(15, 0));
        admin = std::make_unique<Poco::Net::HTTPServer>(
            new admin::ApiHandlerFactory(*s.inventory, admin::ApiLimits{}, Poco::Logger::get("admin")), socket,
            params);
        admin->start();
        ports.emplace_back("admin", socket.address().port());
        log.information("admin API listening on %s", socket.address().toString());
    } catch (const Poco::Exception& e) {
        std::cerr << "provisioner: cannot listen for the admin API on " << config.admin_bind << ":"
                  << config.admin_port << ": " << e.displayText() << "\n";
        return 1;
    }

    if (!config.ports_file.empty() && !writePortsFile(config.ports_file, ports)) {
        std::cerr << "provisioner: cannot write ports.file " << config.ports_file << "\n";
        return 1;
    }
    log.notice("provisioner ready (store %s)", config.store_path);

    for (;;) {
        int sig = 0;
        sigwait(&signals, &sig);
        if (sig == SIGHUP) {
            log.information("SIGHUP: nothing to reload yet");
            continue;
        }
        log.notice("signal %d: stopping", sig);
        break;
    }
    admin->stopAll(true);
    return 0;
}

}  // namespace prov::app
