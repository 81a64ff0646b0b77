#pragma once

// One line of the security log, in the format docs/security-log.md documents:
//
//   event=<name> src=<address> key=value key="text" ...
//
// `event` comes first and `src` second on every line (src is "-" when there
// is no peer); the other keys follow in the order they were added. A value is
// either bare, made only of [A-Za-z0-9._:/@+-] (numbers, addresses, words the
// code chose), or quoted by text::forLog: "..." with \" \\ and \xNN escapes.
// Whatever a client sends goes through text(), so it can end neither its
// quotes nor the line, and a filter anchored on the leading fields cannot be
// fooled by it.
//
//   SecurityEvent e("fetch_refused", peer_ip);
//   e.word("proto", "http").text("path", request.file).number("status", 404);
//   log.refusal(LogPriority::kInformation, e);

#include <cstdint>
#include <string>
#include <string_view>

namespace prov {

class SecurityEvent {
public:
    SecurityEvent(std::string_view name, std::string_view source);

    // A value the code chose (an outcome, a protocol): bare when it can be,
    // quoted otherwise, so a mistake never breaks the line's shape.
    SecurityEvent& word(std::string_view key, std::string_view value);
    // Free or client-supplied text: always quoted.
    SecurityEvent& text(std::string_view key, std::string_view value);
    SecurityEvent& number(std::string_view key, int64_t value);

    const std::string& name() const { return name_; }
    const std::string& line() const { return line_; }

    // True when `value` may be written bare.
    static bool isBare(std::string_view value);

private:
    std::string name_;
    std::string line_;
};

}  // namespace prov
