#pragma once

// One event loop: an epoll set, a wake-up eventfd, one TimerQueue and a list
// of sockets to come back to on the next turn, run on a thread of its own.
// The phones' HTTP(S) and TFTP front ends both run on it; what a socket's
// events mean is theirs (a LoopHandler). Level-triggered; every call but
// stop() is made from the loop's own thread (or before start()).
//
//   EventLoop loop(clock);
//   TRY(loop.open());
//   loop.add(listen_fd, EPOLLIN);
//   TRY(loop.start(handler));   // handler.onReady / onTimer / onDeferred
//   ...
//   loop.stop();

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"
#include "provisioner/core/timer_queue.h"

namespace prov::net {

class LoopHandler {
public:
    virtual ~LoopHandler() = default;
    // `fd` is readable or writable (epoll's event bits).
    virtual void onReady(int fd, uint32_t events) = 0;
    // `fd`'s deadline (EventLoop::arm) came due; it is disarmed.
    virtual void onTimer(int fd) = 0;
    // `fd` asked to be looked at again (EventLoop::defer), for work that
    // epoll will not signal: bytes already read into a TLS record buffer.
    virtual void onDeferred(int fd) = 0;
};

class EventLoop {
public:
    explicit EventLoop(const Clock& clock) : clock_(clock) {}
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    Status open();
    // Runs the loop on its own thread until stop().
    Status start(LoopHandler& handler);
    // From any thread: ends the loop and joins its thread.
    void stop();

    void add(int fd, uint32_t events);
    void modify(int fd, uint32_t events);
    // Stops watching `fd` and cancels its deadline and deferral.
    void forget(int fd);

    // Microseconds on the loop's clock (monotonic).
    int64_t now() const { return clock_.monotonicMicros(); }
    void arm(int fd, int64_t deadline_us) { timers_.arm(fd, deadline_us); }
    // At most once per turn, however often it is asked.
    void defer(int fd);

    // One turn: waits for events (at most `max_wait_ms`, less when a timer
    // or a deferred socket is due), then hands out events, timers and
    // deferred sockets. The thread start() makes calls it in a loop; tests
    // may call it directly on a loop never started.
    void turn(LoopHandler& handler, int max_wait_ms = 1000);

private:
    const Clock& clock_;
    int epoll_fd_ = -1;
    int wake_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    TimerQueue timers_;
    std::vector<int> deferred_;
};

}  // namespace prov::net
