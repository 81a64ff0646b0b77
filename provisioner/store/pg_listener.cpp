#include "provisioner/store/pg_listener.h"

#include <poll.h>

#include <cerrno>

#include <chrono>

#include "provisioner/store/pg_migrations.h"

namespace prov {

namespace {

// How long one wait on the socket lasts: the bound on how late a stop is seen.
constexpr int kWaitMs = 200;
constexpr int kRetryMs = 1000;

}  // namespace

PgConfigListener::PgConfigListener(PgStore& store, std::function<void()> on_change)
    : store_(store), on_change_(std::move(on_change)), thread_([this] { run(); }) {}

PgConfigListener::~PgConfigListener() {
    stop_ = true;
    thread_.join();
}

void PgConfigListener::run() {
    while (!stop_) {
        auto conn = store_.connect();
        if (conn && conn.value()->exec(std::string("LISTEN ") + pg::kConfigChannel)) {
            connected_ = true;
            on_change_();  // whatever changed while no one listened
            listen(*conn.value());
            connected_ = false;
        }
        for (int waited = 0; waited < kRetryMs && !stop_; waited += kWaitMs)
            std::this_thread::sleep_for(std::chrono::milliseconds(kWaitMs));
    }
}

void PgConfigListener::listen(pg::Connection& conn) {
    PGconn* pq = conn.handle();
    while (!stop_) {
        pollfd fd{PQsocket(pq), POLLIN, 0};
        if (fd.fd < 0) return;
        const int ready = ::poll(&fd, 1, kWaitMs);
        if (ready < 0 && errno != EINTR) return;
        if (ready <= 0) continue;
        if (!PQconsumeInput(pq) || !conn.healthy()) return;
        // Many notifications read at once (a burst of edits) are one refresh.
        bool any = false;
        while (PGnotify* n = PQnotifies(pq)) {
            any = true;
            PQfreemem(n);
            received_.fetch_add(1, std::memory_order_relaxed);
        }
        if (any) on_change_();
    }
}

}  // namespace prov
