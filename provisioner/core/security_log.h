#pragma once

// The security log: events (SecurityEvent) written through a Sink, the
// refusals among them rate-limited by a LogThrottle per event name
// (docs/security-log.md). The server's sink is the "security" logger
// (app/services.cpp); tests pass their own.
//
//   SecurityLog log(sink, clock, {.lines = 20, .interval_seconds = 60});
//   log.write(LogPriority::kWarning, blockEvent);      // always written
//   log.refusal(LogPriority::kInformation, refused);   // at most 20 a minute per event name
//   log.flush();                                       // once a second: the summaries
//
// A refusal below the sink's level is neither written nor counted. The lines a
// refusal's interval suppressed come back as one line of their own, at the
// refusal's priority:
//
//   event=suppressed src=- kind=fetch_refused count=1234 seconds=60
//
// ("suppressed 1234 similar refusals in the last 60s"). Thread safe.

#include <map>
#include <mutex>
#include <string>

#include "provisioner/core/clock.h"
#include "provisioner/core/log_throttle.h"
#include "provisioner/core/security_event.h"

namespace prov {

// Syslog's numbering, which Poco's Message::Priority shares.
enum class LogPriority { kError = 3, kWarning = 4, kNotice = 5, kInformation = 6, kDebug = 7 };

class SecurityLog {
public:
    class Sink {
    public:
        virtual ~Sink() = default;
        virtual bool enabled(LogPriority priority) const = 0;
        virtual void write(LogPriority priority, const std::string& line) = 0;
    };

    SecurityLog(Sink& sink, const Clock& clock, LogThrottleOptions options);

    // An event worth a line each time: a block, a token made or revoked.
    void write(LogPriority priority, const SecurityEvent& event);
    // A refusal: written unless its kind had its lines this interval. The
    // kind is the event's name unless given (fetch_refused/not_found).
    void refusal(LogPriority priority, const SecurityEvent& event, const std::string& kind = "");
    // Writes the summary of every interval that ended with lines suppressed.
    void flush();

    // A log that writes nothing, for parts built without one (unit tests).
    static SecurityLog& discard();

private:
    void writeSummaries();

    Sink& sink_;
    LogThrottle throttle_;
    std::mutex mutex_;  // guards priorities_
    std::map<std::string, LogPriority, std::less<>> priorities_;  // of each refusal kind seen
};

}  // namespace prov
