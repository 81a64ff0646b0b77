#include "provisioner/core/sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace prov::net {

std::string hostOf(const SockAddr& a) {
    char buf[INET6_ADDRSTRLEN] = {0};
    if (a.sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a.v6.sin6_addr, buf, sizeof buf);
        std::string s = buf;
        if (s.rfind("::ffff:", 0) == 0 && s.find('.') != std::string::npos) s = s.substr(7);
        return s;
    }
    inet_ntop(AF_INET, &a.v4.sin_addr, buf, sizeof buf);
    return buf;
}

socklen_t addrLen(const SockAddr& a) { return a.sa.sa_family == AF_INET6 ? sizeof a.v6 : sizeof a.v4; }

int boundPort(int fd) {
    SockAddr a{};
    socklen_t len = sizeof a;
    getsockname(fd, &a.sa, &len);
    return ntohs(a.sa.sa_family == AF_INET6 ? a.v6.sin6_port : a.v4.sin_port);
}

Result<int> bindSocket(const std::string& what, const std::string& bind, int port, int type, bool reuseport) {
    SockAddr a{};
    if (inet_pton(AF_INET, bind.c_str(), &a.v4.sin_addr) == 1) {
        a.v4.sin_family = AF_INET;
        a.v4.sin_port = htons(static_cast<uint16_t>(port));
    } else if (inet_pton(AF_INET6, bind.c_str(), &a.v6.sin6_addr) == 1) {
        a.v6.sin6_family = AF_INET6;
        a.v6.sin6_port = htons(static_cast<uint16_t>(port));
    } else {
        return Error::invalid(what + ": '" + bind + "' is not an IP address");
    }
    const int fd = ::socket(a.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error::internal(what + ": socket: " + std::strerror(errno));
    const int one = 1;
    // SO_REUSEADDR lets a restarted server bind while its old connections
    // sit in TIME_WAIT; it never lets two listeners share a TCP port.
    if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (::bind(fd, &a.sa, addrLen(a)) != 0 || (type == SOCK_STREAM && ::listen(fd, 1024) != 0)) {
        const int why = errno;
        ::close(fd);
        const std::string where = bind + ":" + std::to_string(port);
        if (why == EADDRINUSE)
            return Error{Code::kUnavailable, "in_use",
                         what + ": " + where + " is in use by another process; one server per port", {}, {}};
        // An address this host does not have is the bind key's fault, any other refusal the port's.
        return Error{Code::kUnavailable, why == EADDRNOTAVAIL ? "bind_address" : "bind",
                     what + ": cannot bind " + where + ": " + std::strerror(why), {}, {}};
    }
    return fd;
}

Result<std::vector<int>> shareSocket(const std::string& what, int fd, int count) {
    // One socket, not one per loop with SO_REUSEPORT: a reuseport group
    // takes in any socket of the same user bound to the port, so a second
    // server started by mistake would silently get a share of the phones.
    std::vector<int> fds{fd};
    for (int i = 1; i < std::max(1, count); ++i) {
        const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) {
            const std::string why = std::strerror(errno);
            for (int f : fds) ::close(f);
            return Error::internal(what + ": dup: " + why);
        }
        fds.push_back(copy);
    }
    return fds;
}

Result<std::vector<int>> bindShared(const std::string& what, const std::string& bind, int port,
                                    int type, int count) {
    const int fd = TRY(bindSocket(what, bind, port, type, false));
    return shareSocket(what, fd, count);
}

Result<std::vector<int>> loopSockets(const std::string& what, int given, const std::string& bind, int port,
                                     int type, int count) {
    if (given >= 0) return shareSocket(what, given, count);
    return bindShared(what, bind, port, type, count);
}

}  // namespace prov::net
