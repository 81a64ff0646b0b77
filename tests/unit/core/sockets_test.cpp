// A port's one socket, shared by the event loops (core/sockets.h): a second
// bind of the same port, as a second server would try, is refused with
// reason "in_use" for TCP and UDP alike.

#include "provisioner/core/sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

using namespace prov;

namespace {

void closeAll(const std::vector<int>& fds) {
    for (int fd : fds) ::close(fd);
}

}  // namespace

TEST_CASE("bindShared: one TCP socket for every loop, and a second bind of the port is in_use") {
    auto first = net::bindShared("http", "127.0.0.1", 0, SOCK_STREAM, 3);
    REQUIRE(first);
    REQUIRE(first.value().size() == 3);
    const int port = net::boundPort(first.value()[0]);
    for (int fd : first.value()) CHECK(net::boundPort(fd) == port);

    auto second = net::bindShared("http", "127.0.0.1", port, SOCK_STREAM, 2);
    REQUIRE_FALSE(second);
    CHECK(second.error().reason == "in_use");
    CHECK(second.error().message == "http: 127.0.0.1:" + std::to_string(port) +
                                        " is in use by another process; one server per port");
    // Even one socket that asks for SO_REUSEPORT cannot join.
    auto joiner = net::bindSocket("http", "127.0.0.1", port, SOCK_STREAM, true);
    REQUIRE_FALSE(joiner);
    CHECK(joiner.error().reason == "in_use");

    // A connection waits on the one socket: any loop's descriptor takes it.
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    pollfd p{first.value()[2], POLLIN, 0};
    REQUIRE(::poll(&p, 1, 5000) == 1);
    const int accepted = ::accept4(first.value()[2], nullptr, nullptr, SOCK_CLOEXEC);
    CHECK(accepted >= 0);
    // Taken: the others read EAGAIN (non-blocking), never block.
    CHECK(::accept4(first.value()[0], nullptr, nullptr, SOCK_CLOEXEC) < 0);
    CHECK(errno == EAGAIN);
    ::close(accepted);
    ::close(client);
    closeAll(first.value());

    // Closed: the port is free again at once (SO_REUSEADDR).
    auto again = net::bindShared("http", "127.0.0.1", port, SOCK_STREAM, 1);
    REQUIRE(again);
    closeAll(again.value());
}

TEST_CASE("bindShared: one UDP socket for every loop, and a second bind of the port is in_use") {
    auto first = net::bindShared("tftp", "127.0.0.1", 0, SOCK_DGRAM, 2);
    REQUIRE(first);
    const int port = net::boundPort(first.value()[0]);
    auto second = net::bindShared("tftp", "127.0.0.1", port, SOCK_DGRAM, 2);
    REQUIRE_FALSE(second);
    CHECK(second.error().reason == "in_use");
    auto joiner = net::bindSocket("tftp", "127.0.0.1", port, SOCK_DGRAM, true);
    REQUIRE_FALSE(joiner);

    const int client = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::sendto(client, "rrq", 3, 0, reinterpret_cast<sockaddr*>(&a), sizeof a) == 3);
    pollfd p{first.value()[1], POLLIN, 0};
    REQUIRE(::poll(&p, 1, 5000) == 1);
    char buf[8];
    CHECK(::recv(first.value()[1], buf, sizeof buf, 0) == 3);
    CHECK(::recv(first.value()[0], buf, sizeof buf, 0) < 0);  // one datagram, taken once
    CHECK(errno == EAGAIN);
    ::close(client);
    closeAll(first.value());
}

TEST_CASE("bindSocket: an address that is not an IP is refused, naming it") {
    auto fd = net::bindSocket("http", "localhost", 0, SOCK_STREAM, false);
    REQUIRE_FALSE(fd);
    CHECK(fd.error().message == "http: 'localhost' is not an IP address");
}
