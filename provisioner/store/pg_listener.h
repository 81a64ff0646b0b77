#pragma once

// LISTEN on the PostgreSQL store's config channel (pg_migrations.h): every
// committed change of what configs are rendered from, made by any node,
// reaches each listening node within a round trip, so that its render cache
// is dropped at once instead of at its next look at the counter.
//
//   PgConfigListener listener(store, [&] { generation.refresh(); });
//
// `on_change` runs on the listener's own thread: after each notification,
// and after each (re)connection, since what changed while it was away was
// announced to no one. A lost connection is retried every second; the
// server's own once-a-second look at the counter covers the gap.

#include <atomic>
#include <functional>
#include <thread>

#include "provisioner/store/pg_store.h"

namespace prov {

class PgConfigListener {
public:
    PgConfigListener(PgStore& store, std::function<void()> on_change);
    // Stops the thread (within its 200 ms wait) and joins it.
    ~PgConfigListener();
    PgConfigListener(const PgConfigListener&) = delete;
    PgConfigListener& operator=(const PgConfigListener&) = delete;

    // Notifications received so far (for /metrics and tests).
    uint64_t received() const { return received_.load(std::memory_order_relaxed); }
    bool connected() const { return connected_.load(std::memory_order_relaxed); }

private:
    void run();
    // Waits on one connection until it fails or stop_ is set.
    void listen(pg::Connection& conn);

    PgStore& store_;
    std::function<void()> on_change_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> connected_{false};
    std::atomic<uint64_t> received_{0};
    std::thread thread_;
};

}  // namespace prov
