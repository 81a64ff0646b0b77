#include "provisioner/admin/staging_stream.h"

#include <Poco/Exception.h>

#include <algorithm>

namespace prov::admin {

StreamPlace& StreamPlace::operator=(StreamPlace&& other) noexcept {
    if (this != &other) {
        release();
        gate_ = other.gate_;
        id_ = other.id_;
        other.gate_ = nullptr;
    }
    return *this;
}

void StreamPlace::release() {
    if (gate_) gate_->close(id_);
    gate_ = nullptr;
}

StreamPlace StreamGate::tryOpen(const std::string& actor) {
    bool ended_one = false;
    StreamPlace place;
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return {};
        int live = 0;
        int mine = 0;
        for (const Held& h : held_) {
            if (h.ended) continue;
            ++live;
            if (h.actor == actor) ++mine;
        }
        if (mine >= options_.max_per_actor) {
            // The oldest of this caller's live places makes room; its thread
            // leaves at once (sleepFor wakes) and closes it.
            for (Held& h : held_) {
                if (!h.ended && h.actor == actor) {
                    h.ended = true;
                    ended_one = true;
                    --live;
                    break;
                }
            }
        } else if (live >= options_.max_streams) {
            return {};
        }
        const int64_t id = next_id_++;
        held_.push_back(Held{id, actor, false});
        place = StreamPlace(*this, id);
    }
    if (ended_one) wake_.notify_all();
    return place;
}

void StreamGate::close(int64_t place) {
    std::lock_guard lock(mutex_);
    std::erase_if(held_, [place](const Held& h) { return h.id == place; });
}

int StreamGate::open() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(held_.size());
}

bool StreamGate::liveLocked(int64_t place) const {
    if (stopped_) return false;
    for (const Held& h : held_) {
        if (h.id == place) return !h.ended;
    }
    return false;
}

bool StreamGate::live(int64_t place) const {
    std::lock_guard lock(mutex_);
    return liveLocked(place);
}

bool StreamGate::sleepFor(int64_t place, std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, d, [&] { return !liveLocked(place); });
    return liveLocked(place);
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
        out +=
            data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        out += '\n';
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    out += '\n';
    return out;
}

namespace {

void writeStream(std::ostream& out, StreamGate& gate, int64_t place, const StreamFeed& feed) {
    const StreamOptions& o = gate.options();
    const auto end = std::chrono::steady_clock::now() + o.lifetime;
    // How long the browser waits before it reconnects.
    out << "retry: " << o.interval.count() << "\n\n";
    std::string last = feed.first;
    out << sseEvent("staging", last);
    out.flush();
    while (out) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        if (!gate.sleepFor(place, std::min(left, o.interval))) return;
        if (std::chrono::steady_clock::now() >= end) return;
        // A token revoked or expired since the stream opened ends it: the
        // reconnect then meets the 401.
        if (feed.still_valid && !feed.still_valid()) return;
        const Result<std::string> view = feed.snapshot();
        if (!view) {
            out << ": the staging view is unavailable now\n\n";
        } else if (view.value() != last) {
            last = view.value();
            out << sseEvent("staging", last);
        } else {
            out << ": unchanged\n\n";
        }
        out.flush();
    }
}

}  // namespace

void streamStaging(std::ostream& out, StreamPlace place, const StreamFeed& feed) {
    if (!place) return;
    try {
        writeStream(out, *place.gate(), place.id(), feed);
    } catch (const Poco::Exception&) {
        // The client went away mid-write (Poco's socket streams throw): the stream is over.
    } catch (const std::exception&) {
    }
}

}  // namespace prov::admin
