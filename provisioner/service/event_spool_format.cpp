// The spool file format of event_spool.h: written by encodeEventBatch, read
// back strictly by decodeEventBatch.

#include <charconv>
#include <cstdio>
#include <iterator>
#include <limits>
#include <optional>
#include <variant>

#include "provisioner/service/event_spool.h"

namespace prov {

namespace {

constexpr std::string_view kMagic = "provisioner-event-batch 1\n";

// Every Event field the store or the writer's rules read, in file order.
// Encoding and decoding both walk this table, so they cannot disagree.
using EventField = std::variant<int64_t Event::*, std::string Event::*, bool Event::*>;
const EventField kEventFields[] = {
    &Event::at,          &Event::mac,        &Event::peer_ip, &Event::protocol,
    &Event::path,        &Event::user_agent, &Event::vendor,  &Event::model,
    &Event::firmware,    &Event::outcome,    &Event::bytes,   &Event::duration_us,
    &Event::config_hash, &Event::auth,       &Event::wipe,    &Event::device_config,
    &Event::fw_file,     &Event::fw_target,  &Event::fw_told, &Event::not_modified,
};
constexpr size_t kFieldCount = std::size(kEventFields);

uint64_t fnv1a(std::string_view bytes) {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

std::string hex16(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

void putField(std::string& out, std::string_view value) {
    out += std::to_string(value.size());
    out += ':';
    out += value;
    out += '\n';
}

Error damaged(const std::string& what) { return Error::invalid("event spool file: " + what); }

// Decimal digits only, no sign, no leading zero (but "0"), within uint64.
std::optional<uint64_t> parseUnsigned(std::string_view text) {
    if (text.empty() || (text.size() > 1 && text.front() == '0')) return std::nullopt;
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

// The same with an optional '-' (never "-0"), within int64.
std::optional<int64_t> parseSigned(std::string_view text) {
    const bool negative = !text.empty() && text.front() == '-';
    if (negative) text.remove_prefix(1);
    const auto magnitude = parseUnsigned(text);
    if (!magnitude || (negative && *magnitude == 0)) return std::nullopt;
    const uint64_t limit =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
    if (*magnitude > limit) return std::nullopt;
    if (!negative) return static_cast<int64_t>(*magnitude);
    return static_cast<int64_t>(0 - *magnitude);  // two's complement: INT64_MIN too
}

// Takes the file apart from the front; each call consumes what it read.
class Reader {
  public:
    explicit Reader(std::string_view bytes) : rest_(bytes) {}

    bool literal(std::string_view text) {
        if (rest_.substr(0, text.size()) != text) return false;
        rest_.remove_prefix(text.size());
        return true;
    }
    // Up to the next '\n' (taken, not returned).
    std::optional<std::string_view> line() {
        const size_t nl = rest_.find('\n');
        if (nl == std::string_view::npos) return std::nullopt;
        const std::string_view out = rest_.substr(0, nl);
        rest_.remove_prefix(nl + 1);
        return out;
    }
    // <length>:<bytes>\n
    std::optional<std::string_view> field() {
        const size_t colon = rest_.find(':');
        if (colon == std::string_view::npos || colon > 20) return std::nullopt;
        const auto length = parseUnsigned(rest_.substr(0, colon));
        if (!length || *length >= rest_.size() - colon - 1 || rest_[colon + 1 + *length] != '\n')
            return std::nullopt;
        const std::string_view out = rest_.substr(colon + 1, *length);
        rest_.remove_prefix(colon + 1 + *length + 1);
        return out;
    }
    size_t left() const { return rest_.size(); }

  private:
    std::string_view rest_;
};

bool validId(std::string_view id) {
    if (id.size() != kEventBatchIdLength) return false;
    for (char c : id) {
        const bool alnum =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum) return false;
    }
    return true;
}

Status readEvent(Reader& r, Event& e, size_t index) {
    for (size_t f = 0; f < kFieldCount; ++f) {
        const auto value = r.field();
        const std::string where =
            "event " + std::to_string(index + 1) + ", field " + std::to_string(f + 1);
        if (!value) return damaged(where + ": not <length>:<bytes>");
        const EventField& field = kEventFields[f];
        if (const auto* s = std::get_if<std::string Event::*>(&field)) {
            e.*(*s) = std::string(*value);
        } else if (const auto* i = std::get_if<int64_t Event::*>(&field)) {
            const auto n = parseSigned(*value);
            if (!n) return damaged(where + ": not an integer");
            e.*(*i) = *n;
        } else {
            if (*value != "0" && *value != "1") return damaged(where + ": not 0 or 1");
            e.*std::get<bool Event::*>(field) = *value == "1";
        }
    }
    return okStatus();
}

}  // namespace

std::string encodeEventBatch(const EventBatch& batch) {
    std::string out(kMagic);
    out += "id " + batch.id + "\n";
    out +=
        "events " + std::to_string(batch.events.size()) + " " + std::to_string(kFieldCount) + "\n";
    for (const Event& e : batch.events) {
        for (const EventField& field : kEventFields) {
            if (const auto* s = std::get_if<std::string Event::*>(&field)) {
                putField(out, e.*(*s));
            } else if (const auto* i = std::get_if<int64_t Event::*>(&field)) {
                putField(out, std::to_string(e.*(*i)));
            } else {
                putField(out, e.*std::get<bool Event::*>(field) ? "1" : "0");
            }
        }
    }
    out += "end " + hex16(fnv1a(out)) + "\n";
    return out;
}

Result<EventBatch> decodeEventBatch(std::string_view bytes) {
    Reader r(bytes);
    if (!r.literal(kMagic)) return damaged("not a batch of format version 1");
    EventBatch batch;
    const auto id = r.line();
    if (!id || id->substr(0, 3) != "id " || !validId(id->substr(3)))
        return damaged("no valid batch id");
    batch.id = std::string(id->substr(3));
    const auto counts = r.line();
    if (!counts || counts->substr(0, 7) != "events ") return damaged("no event count");
    const std::string_view numbers = counts->substr(7);
    const size_t space = numbers.find(' ');
    const auto count = parseUnsigned(numbers.substr(0, space));
    const auto fields =
        space == std::string_view::npos ? std::nullopt : parseUnsigned(numbers.substr(space + 1));
    // Each field takes three bytes at least ("0:\n"): a count past what the
    // file can hold is damage, not a reason to reserve gigabytes.
    if (!count || *count > r.left() / (kFieldCount * 3)) return damaged("no valid event count");
    if (!fields || *fields != kFieldCount)
        return damaged("not " + std::to_string(kFieldCount) + " fields an event");
    batch.events.resize(*count);
    for (size_t i = 0; i < batch.events.size(); ++i) TRY(readEvent(r, batch.events[i], i));
    const std::string_view body = bytes.substr(0, bytes.size() - r.left());
    const auto end = r.line();
    if (!end || *end != "end " + hex16(fnv1a(body)))
        return damaged("its checksum does not match (cut short or edited)");
    if (r.left() != 0) return damaged("bytes after its end line");
    return batch;
}

}  // namespace prov
