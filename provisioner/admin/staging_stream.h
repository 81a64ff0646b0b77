#pragma once

// GET /api/v1/staging/stream: Server-Sent Events of the staging view, so a
// portal page follows phones coming up without polling.
//
// Each stream holds a thread of the admin server for its whole life, so
// their number is capped (StreamGate::tryOpen; the server gives the admin
// pool that many threads more) and each ends after a lifetime: the browser's
// EventSource reconnects by itself.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include "provisioner/core/result.h"

namespace prov::admin {

struct StreamOptions {
    int max_streams = 8;                          // portal.streams
    std::chrono::milliseconds lifetime{600'000};  // portal.stream_max
    std::chrono::milliseconds interval{2'000};    // how often the view is read again
};

// What every stream handler shares: the count of open streams and the stop
// signal of a server shutting down.
class StreamGate {
public:
    explicit StreamGate(StreamOptions options) : options_(options) {}
    const StreamOptions& options() const { return options_; }

    // Takes one of max_streams places; false when all are taken.
    bool tryOpen();
    void close();
    int open() const;

    // Waits `d`, or less when stop() is called; false once stopped.
    bool sleepFor(std::chrono::milliseconds d);
    // Ends every stream at its next wait (server shutdown).
    void stop();

private:
    const StreamOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    int open_ = 0;
    bool stopped_ = false;
};

// One SSE event: "event: <name>", each line of `data` as a "data:" line, a blank line.
std::string sseEvent(std::string_view name, std::string_view data);

// Writes the stream to `out` (the response body, already sent headers):
// `event: staging` with snapshot() at once, then every interval the view
// again when it changed, else a comment line (a keepalive that also finds a
// client gone). Returns when the lifetime is over, the gate stops, or `out`
// fails (the client left).
using Snapshot = std::function<Result<std::string>()>;
void streamStaging(std::ostream& out, StreamGate& gate, const Snapshot& snapshot);

}  // namespace prov::admin
