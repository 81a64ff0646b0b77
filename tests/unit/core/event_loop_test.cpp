// The event loop turned by hand (no thread), on a fake clock.

#include <catch2/catch.hpp>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "provisioner/core/event_loop.h"

using namespace prov;

namespace {

struct Recorder final : public net::LoopHandler {
    std::vector<std::pair<int, uint32_t>> ready;
    std::vector<int> timers;
    std::vector<int> deferred;
    void onReady(int fd, uint32_t events) override { ready.emplace_back(fd, events); }
    void onTimer(int fd) override { timers.push_back(fd); }
    void onDeferred(int fd) override { deferred.push_back(fd); }
};

struct Pair {
    int fds[2];
    Pair() { REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0); }
    ~Pair() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
};

}  // namespace

TEST_CASE("event loop: readiness, timers on its clock, deferred sockets") {
    FakeClock clock;
    net::EventLoop loop(clock);
    REQUIRE(loop.open());
    Recorder r;
    Pair p;
    loop.add(p.fds[0], EPOLLIN);
    loop.turn(r, 0);
    CHECK(r.ready.empty());
    REQUIRE(::write(p.fds[1], "x", 1) == 1);
    loop.turn(r, 1000);
    REQUIRE(r.ready.size() == 1);
    CHECK(r.ready[0].first == p.fds[0]);
    CHECK(r.ready[0].second & EPOLLIN);

    SECTION("a deadline fires once the clock passes it") {
        loop.modify(p.fds[0], EPOLLOUT);
        r.ready.clear();
        loop.arm(p.fds[0], loop.now() + 2'000'000);
        loop.forget(p.fds[0]);  // forgetting cancels the deadline ...
        loop.add(p.fds[1], 0);
        loop.arm(p.fds[1], loop.now() + 2'000'000);
        loop.turn(r, 0);
        CHECK(r.timers.empty());
        clock.advance(2);
        loop.turn(r, 0);
        CHECK(r.timers == std::vector<int>{p.fds[1]});  // ... and only its own fires
        CHECK(r.ready.empty());
    }
    SECTION("a deferred socket is handed back on the next turn without waiting") {
        loop.defer(p.fds[0]);
        loop.turn(r, 60'000);  // would wait a minute but for the deferral
        CHECK(r.deferred == std::vector<int>{p.fds[0]});
        r.deferred.clear();
        loop.defer(p.fds[0]);
        loop.defer(p.fds[0]);  // asked twice in one turn: handed back once
        loop.turn(r, 0);
        CHECK(r.deferred == std::vector<int>{p.fds[0]});
        r.deferred.clear();
        loop.defer(p.fds[0]);
        loop.forget(p.fds[0]);
        loop.turn(r, 0);
        CHECK(r.deferred.empty());
    }
}

TEST_CASE("event loop: stop() from another thread ends a loop that waits") {
    SystemClock clock;
    net::EventLoop loop(clock);
    REQUIRE(loop.open());
    Recorder r;
    REQUIRE(loop.start(r));
    loop.stop();  // returns only once the thread has ended
    SUCCEED();
}
