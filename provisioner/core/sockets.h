#pragma once

// The few POSIX socket helpers the event-loop front ends (tftp/, http/) share:
// an address of either family, its text, and a port's one socket shared by
// the event loops that serve it.

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "provisioner/core/result.h"

namespace prov::net {

union SockAddr {
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
    sockaddr_storage storage;
};

// "192.0.2.7" or "2001:db8::7"; an IPv4-mapped IPv6 address reads as IPv4.
std::string hostOf(const SockAddr& a);
socklen_t addrLen(const SockAddr& a);
int boundPort(int fd);

// A non-blocking socket of `type` (SOCK_DGRAM or SOCK_STREAM) bound to
// bind:port (0: any free port). Streams listen. Errors name `what` ("tftp",
// "http") and the address; a port another socket holds is reason "in_use".
// With `reuseport` other sockets may share the port, and so may another
// process of the same user: the phones' ports never ask for it (bindShared).
// The server never passes true; tests do, to play a process that tries to
// join a port (tests/unit/core/sockets_test.cpp).
Result<int> bindSocket(const std::string& what, const std::string& bind, int port, int type, bool reuseport);

// `count` descriptors of the one socket `fd`, for as many event loops: `fd`
// itself and count - 1 dup()s, each the loop's to close. All or none: on an
// error none is left open, `fd` included.
Result<std::vector<int>> shareSocket(const std::string& what, int fd, int count);

// A port's one socket (bindSocket, no SO_REUSEPORT: another process binding
// the port gets EADDRINUSE instead of a share of its phones) for `count`
// event loops (shareSocket). Each loop polls it with EPOLLEXCLUSIVE and
// takes what it can without blocking; an EAGAIN means another loop was first.
Result<std::vector<int>> bindShared(const std::string& what, const std::string& bind, int port,
                                    int type, int count);

// A front end's sockets for its `count` loops: `given` shared (shareSocket;
// a socket bound beforehand, see app::Server::bindPorts) when it is >= 0,
// else a new one bound (bindShared).
Result<std::vector<int>> loopSockets(const std::string& what, int given, const std::string& bind, int port,
                                     int type, int count);

}  // namespace prov::net
