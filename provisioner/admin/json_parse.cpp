// Request bodies: Poco's JSON parser with a ParseHandler that keeps the path
// to where it is, so that a duplicate key and a number out of range are
// refused naming the field. See json_decode.h.

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>

#include <limits>
#include <unordered_set>

#include "provisioner/admin/json_decode.h"
#include "provisioner/core/text.h"

namespace prov::json {

namespace {

// Thrown from the handler to stop the parse with the place it stopped at.
// Poco's parser closes its stream on any std::exception and rethrows it.
struct Refusal final : std::exception {
    enum Kind { kDuplicateKey, kOutOfRange } kind;
    std::string path;
    Refusal(Kind k, std::string p) : kind(k), path(std::move(p)) {}
    const char* what() const noexcept override { return "refused"; }
};

// Poco's tree builder, plus one frame per open object or array: the keys the
// object has seen (for duplicates) and the current key or element (for the
// path). Only the open containers are held, so the cost is the nesting
// depth, not the body's size.
class StrictHandler final : public Poco::JSON::ParseHandler {
public:
    void reset() override {
        ParseHandler::reset();
        frames_.clear();
    }
    void startObject() override {
        element();
        frames_.push_back(Frame{true, {}, 0, {}});
        ParseHandler::startObject();
    }
    void endObject() override {
        frames_.pop_back();
        ParseHandler::endObject();
    }
    void startArray() override {
        element();
        frames_.push_back(Frame{false, {}, 0, {}});
        ParseHandler::startArray();
    }
    void endArray() override {
        frames_.pop_back();
        ParseHandler::endArray();
    }
    void key(const std::string& k) override {
        Frame& f = frames_.back();
        f.key = k;
        if (!f.keys.insert(k).second) throw Refusal(Refusal::kDuplicateKey, path(true));
        ParseHandler::key(k);
    }
    void value(int v) override {
        element();
        ParseHandler::value(v);
    }
    void value(unsigned v) override {
        element();
        ParseHandler::value(v);
    }
    // Every integer literal reaches the handler as an Int64, and one past
    // INT64_MAX as a UInt64. No field takes more than an int64, and Poco
    // 1.11's NumberParser gets overflow wrong: it reads 18446744073709551617
    // as the UInt64 1 (a valid line number!), and negative numbers through a
    // double (exact down to -2^53, then rounded, and -9223372036854775809 as
    // INT64_MIN). So any UInt64 is a number out of range, and so is INT64_MIN.
    // Other negative numbers pass on: every integer the API takes is 0 or
    // more, so each is refused by its field's range, whatever its digits.
    void value(Poco::Int64 v) override {
        element();
        if (v == std::numeric_limits<Poco::Int64>::min()) throw Refusal(Refusal::kOutOfRange, path(true));
        ParseHandler::value(v);
    }
    void value(Poco::UInt64) override {
        element();
        throw Refusal(Refusal::kOutOfRange, path(true));
    }
    void value(const std::string& v) override {
        element();
        ParseHandler::value(v);
    }
    void value(double v) override {
        element();
        ParseHandler::value(v);
    }
    void value(bool v) override {
        element();
        ParseHandler::value(v);
    }
    void null() override {
        element();
        ParseHandler::null();
    }

    // Where the parser is. `started`: the innermost value has begun (a key
    // just read); otherwise the parser is reading the next one (a number it
    // could not convert, which never reached the handler).
    std::string path(bool started) const {
        std::string out;
        for (size_t i = 0; i < frames_.size(); ++i) {
            const Frame& f = frames_[i];
            if (f.object) {
                out += (out.empty() ? "" : ".") + f.key;
            } else {
                const bool innermost = i + 1 == frames_.size();
                const size_t at = innermost && !started ? f.count : f.count - 1;
                out += "[" + std::to_string(at) + "]";
            }
        }
        return out;
    }

private:
    struct Frame {
        bool object = false;
        std::string key;  // object: the key being read
        size_t count = 0;  // array: the elements begun so far
        std::unordered_set<std::string> keys;
    };
    // A value or a container begins: in an array it is the next element.
    void element() {
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().count;
    }

    std::vector<Frame> frames_;
};

Error invalidJson(const std::string& message) {
    return Error{Code::kInvalidArgument, "invalid_json", message, {}, {}};
}

std::string named(std::string_view root, const std::string& path) {
    if (!path.empty() && path[0] == '[') return std::string(root) + path;
    return path;
}

Error refusal(Refusal::Kind kind, const std::string& field) {
    if (field.empty() && kind == Refusal::kDuplicateKey)
        return Error::invalid("the body gives the empty key twice", {{"\"\"", "is given twice in the same object (each key once)"}});
    if (field.empty()) return invalidJson("the body is a number out of range");
    if (kind == Refusal::kDuplicateKey)
        return Error::invalid("the body gives '" + field + "' twice",
                              {{field, "is given twice in the same object (each key once)"}});
    return Error::invalid("a number is out of range", {{field, "is out of range"}});
}

}  // namespace

Result<Poco::Dynamic::Var> parseBody(const std::string& body, std::string_view root) {
    if (!text::isValidUtf8(body)) return invalidJson("the body is not valid UTF-8");
    Poco::SharedPtr<StrictHandler> handler = new StrictHandler;
    try {
        Poco::JSON::Parser parser(handler);
        return parser.parse(body);
    } catch (const Refusal& e) {
        return refusal(e.kind, named(root, e.path));
    } catch (const Poco::SyntaxException&) {
        // Only the number conversions throw this (Poco::NumberParser, for a
        // number no double holds, 1e400): the parser's own errors are
        // JSONException. The number never reached the handler.
        return refusal(Refusal::kOutOfRange, named(root, handler->path(false)));
    } catch (const Poco::Exception& e) {
        return invalidJson("the body is not valid JSON: " + e.message());
    }
}

std::optional<int64_t> integerOf(const Poco::Dynamic::Var& v, std::string& problem) {
    if (!v.isInteger() || v.isBoolean()) {
        problem = "must be an integer";
        return std::nullopt;
    }
    try {
        return v.convert<int64_t>();
    } catch (const Poco::Exception&) {
        // An unsigned 64-bit value past INT64_MAX: Poco throws RangeException.
        problem = "is out of range";
        return std::nullopt;
    }
}

}  // namespace prov::json
