#pragma once

// GET /api/v1/staging/stream: Server-Sent Events of the staging view, so a
// portal page follows phones coming up without polling.
//
// Each stream holds a thread of the admin server for its whole life, so
// their number is capped (StreamGate::tryOpen; the server gives the admin
// pool that many threads more), each caller holds at most max_per_actor of
// them, and each ends after a lifetime: the browser's EventSource
// reconnects by itself.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/result.h"

namespace prov::admin {

struct StreamOptions {
    int max_streams = 8;                          // portal.streams
    int max_per_actor = 2;                        // a caller's own streams
    std::chrono::milliseconds lifetime{600'000};  // portal.stream_max
    std::chrono::milliseconds interval{2'000};    // how often the view is read again
};

class StreamGate;

// One place among the streams, given back when destroyed (whatever ends the
// stream: its lifetime, a client gone, an exception). Empty: none was given.
class StreamPlace {
  public:
    StreamPlace() = default;
    StreamPlace(StreamGate& gate, int64_t id) : gate_(&gate), id_(id) {}
    StreamPlace(StreamPlace&& other) noexcept : gate_(other.gate_), id_(other.id_) {
        other.gate_ = nullptr;
    }
    StreamPlace& operator=(StreamPlace&& other) noexcept;
    StreamPlace(const StreamPlace&) = delete;
    StreamPlace& operator=(const StreamPlace&) = delete;
    ~StreamPlace() { release(); }

    explicit operator bool() const { return gate_ != nullptr; }
    int64_t id() const { return id_; }
    StreamGate* gate() const { return gate_; }

  private:
    void release();
    StreamGate* gate_ = nullptr;
    int64_t id_ = 0;
};

// What every stream handler shares: the open streams, by caller, and the
// stop signal of a server shutting down.
class StreamGate {
  public:
    explicit StreamGate(StreamOptions options) : options_(options) {}
    const StreamOptions& options() const { return options_; }

    // Takes a place for `actor`; empty when all max_streams are taken or
    // the server stops. When `actor` already holds max_per_actor places,
    // its oldest is ended (live() turns false, its wait wakes) and this one
    // is given: a caller whose client died (a closed laptop, a reloaded tab)
    // gets its stream back at once instead of a 503 until the dead one is
    // noticed, and cannot hold more than its share of places.
    StreamPlace tryOpen(const std::string& actor);
    int open() const;
    // False once the place was ended for a newer one of its caller, or the server stops.
    bool live(int64_t place) const;

    // Waits `d`, or less when stop() is called or the place is ended; live(place) after.
    bool sleepFor(int64_t place, std::chrono::milliseconds d);
    // Ends every stream at its next wait (server shutdown).
    void stop();

  private:
    friend class StreamPlace;
    void close(int64_t place);
    bool liveLocked(int64_t place) const;

    struct Held {
        int64_t id = 0;
        std::string actor;
        bool ended = false;
    };
    const StreamOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Held> held_;  // oldest first
    int64_t next_id_ = 1;
    bool stopped_ = false;
};

// One SSE event: "event: <name>", each line of `data` as a "data:" line, a blank line.
std::string sseEvent(std::string_view name, std::string_view data);

// What a stream sends. `first` is the view already read (the handler reads
// it before taking a place, so a bad query is a plain 400); snapshot() reads
// it again; still_valid() says whether the caller may still see it (its
// token or session not revoked nor expired), asked before every read.
using Snapshot = std::function<Result<std::string>()>;
using StillValid = std::function<bool()>;
struct StreamFeed {
    std::string first;
    Snapshot snapshot;
    StillValid still_valid;
};

// Writes the stream to `out` (the response body, headers already sent):
// `event: staging` with feed.first at once, then every interval the view
// again when it changed, else a comment line (a keepalive that also finds a
// client gone). Returns when the lifetime is over, the gate stops, the place
// is ended, the caller is no longer valid, or `out` fails or throws (the
// client left); never throws. The place is given back on return.
void streamStaging(std::ostream& out, StreamPlace place, const StreamFeed& feed);

}  // namespace prov::admin
