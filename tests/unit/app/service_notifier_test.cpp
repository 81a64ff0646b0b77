// ServiceNotifier against real AF_UNIX datagram sockets, as systemd listens:
// by path and by abstract name.

#include "provisioner/app/service_notifier.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <string>

#include "temp_dir.h"

using namespace prov::app;

namespace {

// A datagram socket bound to `name` ('@' first: abstract), standing in for
// the service manager.
class Listener {
  public:
    explicit Listener(const std::string& name)
        : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path, name.data(), name.size());
        const bool abstract = name[0] == '@';
        if (abstract) a.sun_path[0] = '\0';
        const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() +
                                                (abstract ? 0 : 1));
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0);
        timeval wait{2, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    }
    ~Listener() { ::close(fd_); }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // The next datagram, or "" after 2 s without one.
    std::string next() const {
        char buf[512];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    }

  private:
    int fd_;
};

std::string abstractName() { return "@prov-unit-notify-" + std::to_string(::getpid()); }

}  // namespace

TEST_CASE("notify sends each state as one datagram, to a path or an abstract name") {
    prov::testing::TempDir dir;
    const std::string path = dir.path() + "/notify";
    for (const std::string& name : {path, abstractName()}) {
        Listener manager(name);
        const ServiceNotifier notifier(name, 0);
        REQUIRE(notifier.enabled());
        REQUIRE(notifier.notify("READY=1\nSTATUS=serving phones"));
        CHECK(manager.next() == "READY=1\nSTATUS=serving phones");
        REQUIRE(notifier.notify("WATCHDOG=1"));
        CHECK(manager.next() == "WATCHDOG=1");
    }
}

TEST_CASE("without NOTIFY_SOCKET nothing is sent and nothing fails") {
    const ServiceNotifier none;
    CHECK_FALSE(none.enabled());
    CHECK(none.watchdogMicros() == 0);
    CHECK(none.notify("READY=1"));
}

TEST_CASE("a socket nobody listens on, or a name of another kind, is an error that says so") {
    prov::testing::TempDir dir;
    auto gone = ServiceNotifier(dir.path() + "/nobody", 0).notify("READY=1");
    REQUIRE_FALSE(gone);
    CHECK(gone.error().message.find("cannot notify " + dir.path() + "/nobody: ") == 0);
    auto vsock = ServiceNotifier("vsock:2:1234", 0).notify("READY=1");
    REQUIRE_FALSE(vsock);
    CHECK(vsock.error().message ==
          "NOTIFY_SOCKET vsock:2:1234 is neither a path nor an abstract '@name'");
    auto long_path = ServiceNotifier("/" + std::string(200, 'a'), 0).notify("READY=1");
    REQUIRE_FALSE(long_path);
    CHECK(long_path.error().message.find("is longer than a socket address holds") !=
          std::string::npos);
}

TEST_CASE(
    "fromEnvironment reads the manager's variables once and takes them out of the environment") {
    const std::string name = abstractName();
    Listener manager(name);
    const std::string pid = std::to_string(::getpid());
    struct Case {
        const char* usec;
        const char* watchdog_pid;  // null: unset; "self": this process
        int64_t expected;
    };
    const Case cases[] = {
        {"30000000", nullptr, 30000000},
        {"30000000", "self", 30000000},
        {"30000000", "1", 0},
        {"-5", nullptr, 0},
        {"12x", nullptr, 0},
        {"99999999999999999999", nullptr, 0},
        {nullptr, nullptr, 0},
    };
    for (const Case& c : cases) {
        INFO("WATCHDOG_USEC=" << (c.usec ? c.usec : "(unset)")
                              << " WATCHDOG_PID=" << (c.watchdog_pid ? c.watchdog_pid : "(unset)"));
        ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
        if (c.usec) ::setenv("WATCHDOG_USEC", c.usec, 1);
        if (c.watchdog_pid)
            ::setenv("WATCHDOG_PID",
                     std::string(c.watchdog_pid) == "self" ? pid.c_str() : c.watchdog_pid, 1);
        const ServiceNotifier notifier = ServiceNotifier::fromEnvironment();
        CHECK(notifier.enabled());
        CHECK(notifier.watchdogMicros() == c.expected);
        CHECK(::getenv("NOTIFY_SOCKET") == nullptr);
        CHECK(::getenv("WATCHDOG_USEC") == nullptr);
        CHECK(::getenv("WATCHDOG_PID") == nullptr);
        REQUIRE(notifier.notify("READY=1"));
        CHECK(manager.next() == "READY=1");
    }
    CHECK_FALSE(ServiceNotifier::fromEnvironment().enabled());
}

TEST_CASE("the reloading state carries the monotonic time systemd 253 asks for") {
    timespec before{};
    ::clock_gettime(CLOCK_MONOTONIC, &before);
    const std::string state = reloadingState();
    REQUIRE(state.rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
    const long long usec = std::stoll(state.substr(state.find('=', 12) + 1));
    CHECK(usec >= static_cast<long long>(before.tv_sec) * 1'000'000 + before.tv_nsec / 1000);
}
