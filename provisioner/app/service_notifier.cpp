#include "provisioner/app/service_notifier.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <ctime>

namespace prov::app {

namespace {

// A positive decimal number, or 0 for anything else (empty, signs, junk,
// past int64): a malformed variable means no watchdog rather than a guess.
int64_t positiveNumber(const char* text) {
    if (!text || !*text) return 0;
    int64_t n = 0;
    for (const char* p = text; *p; ++p) {
        if (*p < '0' || *p > '9') return 0;
        if (n > (INT64_MAX - (*p - '0')) / 10) return 0;
        n = n * 10 + (*p - '0');
    }
    return n;
}

}  // namespace

ServiceNotifier::ServiceNotifier(std::string socket, int64_t watchdog_usec)
    : socket_(std::move(socket)), watchdog_usec_(watchdog_usec > 0 ? watchdog_usec : 0) {}

ServiceNotifier ServiceNotifier::fromEnvironment() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    const char* pid = std::getenv("WATCHDOG_PID");
    int64_t usec = positiveNumber(std::getenv("WATCHDOG_USEC"));
    // The manager sets WATCHDOG_PID to the pid it watches; a process that
    // inherited the variables from a parent is not that one.
    if (pid && positiveNumber(pid) != static_cast<int64_t>(::getpid())) usec = 0;
    ServiceNotifier notifier(socket ? socket : "", usec);
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    return notifier;
}

Status ServiceNotifier::notify(std::string_view state) const {
    if (socket_.empty()) return okStatus();
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    // An abstract name has no terminating NUL: its length is the address's.
    const bool abstract = socket_[0] == '@';
    if ((!abstract && socket_[0] != '/') || socket_.size() < 2)
        return Error::invalid("NOTIFY_SOCKET " + socket_ +
                              " is neither a path nor an abstract '@name'");
    if (socket_.size() > sizeof(address.sun_path) - (abstract ? 0 : 1))
        return Error::invalid("NOTIFY_SOCKET " + socket_ +
                              " is longer than a socket address holds");
    std::memcpy(address.sun_path, socket_.data(), socket_.size());
    if (abstract) address.sun_path[0] = '\0';
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() +
                                               (abstract ? 0 : 1));
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return Error::internal(std::string("cannot make a socket for NOTIFY_SOCKET: ") +
                               std::strerror(errno));
    const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                  reinterpret_cast<const sockaddr*>(&address), length);
    const int error = errno;
    ::close(fd);
    if (sent < 0) return Error::internal("cannot notify " + socket_ + ": " + std::strerror(error));
    if (static_cast<size_t>(sent) != state.size())
        return Error::internal("cannot notify " + socket_ + ": cut short");
    return okStatus();
}

std::string reloadingState() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t usec = static_cast<int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
    return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace prov::app
