#include "provisioner/admin/staging_stream.h"

#include <algorithm>

namespace prov::admin {

bool StreamGate::tryOpen() {
    std::lock_guard lock(mutex_);
    if (stopped_ || open_ >= options_.max_streams) return false;
    ++open_;
    return true;
}

void StreamGate::close() {
    std::lock_guard lock(mutex_);
    if (open_ > 0) --open_;
}

int StreamGate::open() const {
    std::lock_guard lock(mutex_);
    return open_;
}

bool StreamGate::sleepFor(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, d, [this] { return stopped_; });
    return !stopped_;
}

void StreamGate::stop() {
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
    }
    wake_.notify_all();
}

std::string sseEvent(std::string_view name, std::string_view data) {
    std::string out = "event: ";
    out += name;
    out += '\n';
    // A line break inside the data would end the field: each line is a field of its own.
    size_t start = 0;
    for (;;) {
        const size_t nl = data.find('\n', start);
        out += "data: ";
        out += data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        out += '\n';
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    out += '\n';
    return out;
}

void streamStaging(std::ostream& out, StreamGate& gate, const Snapshot& snapshot) {
    const StreamOptions& o = gate.options();
    const auto end = std::chrono::steady_clock::now() + o.lifetime;
    // How long the browser waits before it reconnects.
    out << "retry: " << o.interval.count() << "\n\n";
    std::string last;
    bool first = true;
    while (out) {
        const Result<std::string> view = snapshot();
        if (!view) {
            out << ": the staging view is unavailable now\n\n";
        } else if (first || view.value() != last) {
            last = view.value();
            out << sseEvent("staging", last);
        } else {
            out << ": unchanged\n\n";
        }
        first = false;
        out.flush();
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !out) return;
        if (!gate.sleepFor(std::min(left, o.interval))) return;
        if (std::chrono::steady_clock::now() >= end) return;
    }
}

}  // namespace prov::admin
