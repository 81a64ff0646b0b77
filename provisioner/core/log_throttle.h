#pragma once

// How many lines of one kind the log takes: at most `lines` per interval of
// `interval_seconds` for each kind, the rest counted, so a flood of refusals
// (one fuzzing minute once wrote 400k lines) costs a few lines and a count.
//
//   LogThrottle throttle(clock, {.lines = 20, .interval_seconds = 60});
//   if (throttle.admit("fetch_refused")) log(line);      // else counted
//   for (const auto& s : throttle.takeSummaries())       // once a second
//       log("suppressed " + s.suppressed + " ... in the last " + s.seconds + "s");
//
// An interval of a kind starts with its first line and lasts interval_seconds;
// the next line after it starts a new one. An interval that ended having
// suppressed lines yields one Summary, from the first takeSummaries() after
// it ended (the caller asks now and then: SecurityLog before each line it
// writes, the server once a second). Nothing sleeps; time is the Clock's.
// Thread safe. Kinds are names the code chose (a handful); past max_kinds a
// new kind is let through uncounted, so memory stays bounded whatever happens.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/clock.h"

namespace prov {

struct LogThrottleOptions {
    int64_t lines = 20;             // per kind and interval; at least 1
    int64_t interval_seconds = 60;  // at least 1
    size_t max_kinds = 256;
};

class LogThrottle {
public:
    struct Summary {
        std::string kind;
        int64_t suppressed = 0;  // lines not written
        int64_t seconds = 0;     // the length of the interval they fell in
    };

    LogThrottle(const Clock& clock, LogThrottleOptions options);

    // True: write this line of `kind`. False: it was counted instead.
    bool admit(std::string_view kind);
    // One Summary for each interval that has ended with lines suppressed,
    // oldest first, each given once.
    std::vector<Summary> takeSummaries();

private:
    struct Window {
        int64_t start_us = 0;
        int64_t admitted = 0;
        int64_t suppressed = 0;
    };
    bool over(const Window& w, int64_t now) const;
    void close(std::string_view kind, const Window& w);

    const Clock& clock_;
    const LogThrottleOptions options_;
    std::mutex mutex_;
    std::map<std::string, Window, std::less<>> windows_;
    std::vector<Summary> ended_;
};

}  // namespace prov
