#include "provisioner/core/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <iostream>

#include "provisioner/core/text.h"

namespace prov::net {

EventLoop::~EventLoop() {
    stop();
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status EventLoop::open() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) return Error::internal("event loop: epoll/eventfd failed");
    add(wake_fd_, EPOLLIN);
    return okStatus();
}

Status EventLoop::start(LoopHandler& handler) {
    if (epoll_fd_ < 0) return Error::internal("event loop: start() before open()");
    thread_ = std::thread([this, &handler] {
        while (!stopping_.load(std::memory_order_relaxed)) {
            try {
                turn(handler);
            } catch (const std::exception& e) {
                // Handlers answer with values; one that throws all the same
                // must not take every phone's port down with this thread.
                // Its text may quote what a client sent: escaped.
                std::cerr << "event loop: " << text::forLog(e.what()) << std::endl;
            }
        }
    });
    return okStatus();
}

void EventLoop::stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
}

void EventLoop::add(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
}

void EventLoop::modify(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void EventLoop::defer(int fd) {
    if (std::find(deferred_.begin(), deferred_.end(), fd) == deferred_.end()) deferred_.push_back(fd);
}

void EventLoop::forget(int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    timers_.cancel(fd);
    // A descriptor number is reused by the next accept: drop its deferral.
    deferred_.erase(std::remove(deferred_.begin(), deferred_.end(), fd), deferred_.end());
}

void EventLoop::turn(LoopHandler& handler, int max_wait_ms) {
    int wait_ms = max_wait_ms;
    if (!deferred_.empty()) {
        wait_ms = 0;
    } else if (const int64_t next = timers_.next(); next >= 0) {
        const int64_t left_us = next - now();
        // Round up: waking a little late is fine, early would spin.
        wait_ms = left_us <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left_us / 1000 + 1, max_wait_ms));
    }
    epoll_event events[256];
    const int n = epoll_wait(epoll_fd_, events, 256, wait_ms);
    for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd_) {
            uint64_t drained = 0;
            (void)!::read(wake_fd_, &drained, sizeof drained);
            continue;
        }
        handler.onReady(fd, events[i].events);
    }
    // Deferred last turn (or by the events above): looked at once each.
    std::vector<int> again;
    again.swap(deferred_);
    for (int fd : again) handler.onDeferred(fd);
    timers_.expire(now(), [&](int fd) { handler.onTimer(fd); });
}

}  // namespace prov::net
