#include "provisioner/core/security_log.h"

namespace prov {

SecurityLog::SecurityLog(Sink& sink, const Clock& clock, LogThrottleOptions options)
    : sink_(sink), throttle_(clock, options) {}

void SecurityLog::write(LogPriority priority, const SecurityEvent& event) {
    if (sink_.enabled(priority)) sink_.write(priority, event.line());
}

void SecurityLog::refusal(LogPriority priority, const SecurityEvent& event, const std::string& kind) {
    if (!sink_.enabled(priority)) return;
    const std::string& k = kind.empty() ? event.name() : kind;
    {
        std::lock_guard lock(mutex_);
        priorities_.try_emplace(k, priority);
    }
    if (!throttle_.admit(k)) return;
    // The summary of an interval that ended comes before the next one's lines.
    writeSummaries();
    sink_.write(priority, event.line());
}

void SecurityLog::flush() { writeSummaries(); }

void SecurityLog::writeSummaries() {
    for (const LogThrottle::Summary& s : throttle_.takeSummaries()) {
        LogPriority priority = LogPriority::kNotice;
        {
            std::lock_guard lock(mutex_);
            if (auto it = priorities_.find(s.kind); it != priorities_.end()) priority = it->second;
        }
        SecurityEvent line("suppressed", "");
        line.word("kind", s.kind).number("count", s.suppressed).number("seconds", s.seconds);
        sink_.write(priority, line.line());
    }
}

SecurityLog& SecurityLog::discard() {
    class Nowhere final : public Sink {
    public:
        bool enabled(LogPriority) const override { return false; }
        void write(LogPriority, const std::string&) override {}
    };
    static Nowhere sink;
    static const SystemClock clock;
    static SecurityLog log(sink, clock, LogThrottleOptions{});
    return log;
}

}  // namespace prov
