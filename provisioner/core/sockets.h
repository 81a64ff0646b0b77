#pragma once

// The few POSIX socket helpers the event-loop front ends (tftp/, http/) share:
// an address of either family, its text, and sockets bound to a shared port.

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
// bind:port (0: any free port); with `reuseport` several may share the port.
// Streams listen. Errors name `what` ("tftp", "http") and the address.
Result<int> bindSocket(const std::string& what, const std::string& bind, int port, int type, bool reuseport);

// `count` sockets sharing one port, the first one's when `port` is 0, for as
// many event loops. All or none: on an error none is left open.
Result<std::vector<int>> bindShared(const std::string& what, const std::string& bind, int port, int type, int count);

}  // namespace prov::net
