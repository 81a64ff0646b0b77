// provisioner serve: the process around the Server (server.h): umask,
// signals, logging and the descriptor limit, then start, wait, stop.

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Path.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "provisioner/app/commands.h"
#include "provisioner/app/log_format.h"
#include "provisioner/app/config_keys.h"
#include "provisioner/app/server.h"
#include "provisioner/core/private_file.h"
#include "provisioner/app/service_notifier.h"

namespace prov::app {

namespace {

// SIGINT, SIGTERM and SIGHUP are taken by Server::wait; blocked before any
// thread starts so that every thread inherits the mask.
sigset_t blockSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return signals;
}

// One socket per TFTP transfer and one per HTTP connection: the descriptor
// limit lifted to what the system allows.
void raiseDescriptorLimit() {
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
}

// Folders and files of the configuration that the server makes or writes
// only once it has started: checked first, so that a mistake in them stops
// it with one line (exit 78) before it logs, binds or opens anything.
Status checkServePaths(const ServerConfig& config) {
    if (auto st = makePrivateDirectories(config.certs_dir); !st) return configError("certs.dir", st.error().message);
    if (config.ports_file.empty()) return okStatus();
    const std::string parent = Poco::Path(config.ports_file).parent().toString();
    const std::string folder = parent.empty() ? std::string(".") : parent;
    if (::access(folder.c_str(), W_OK) == 0) return okStatus();
    return configError("ports.file", "cannot write in " + folder + ": " + std::strerror(errno));
}

}  // namespace

int runServe(const ServerConfig& config) {
    // Whatever the server writes (store, uploads, keys, the ports file) is
    // its owner's alone, also where a file is made without an explicit
    // mode (by SQLite, Poco or a library yet to come).
    ::umask(077);
    if (auto st = checkServePaths(config); !st) {
        std::cerr << "provisioner: " << st.error().message << "\n";
        return kExitConfig;
    }
    // Before any thread: it takes the manager's variables out of the environment.
    const ServiceNotifier notifier = ServiceNotifier::fromEnvironment();
    const sigset_t signals = blockSignals();
    setupLogging(config.log_level, config.log_format, config.log_syslog_prefix);
    raiseDescriptorLimit();
    Server server(config);
    if (auto st = server.start(); !st) {
        std::cerr << "provisioner: " << st.error().message << "\n";
        // Another server holds the store or a port (75), or the configuration
        // names something unusable (78): told apart from a broken start, for
        // scripts and for systemd's RestartPreventExitStatus=.
        return exitCodeFor(st.error());
    }
    // Every port is bound and served, the ports file written: under
    // systemd (Type=notify) the unit counts as started from here.
    if (auto st = notifier.notify("READY=1\nSTATUS=serving phones"); !st)
        Poco::Logger::get("provisioner").error("service manager: %s", st.error().message);
    server.wait(signals, notifier);
    (void)notifier.notify("STOPPING=1");
    server.stop();
    return 0;
}

}  // namespace prov::app
