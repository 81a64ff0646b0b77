#include "provisioner/app/log_format.h"

#include <Poco/ConsoleChannel.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace prov::app {

namespace {

// As log.level spells the priorities.
std::string_view levelName(int priority) {
    switch (priority) {
        case 1:
            return "fatal";
        case 2:
            return "critical";
        case 3:
            return "error";
        case 4:
            return "warning";
        case 5:
            return "notice";
        case 6:
            return "information";
        case 7:
            return "debug";
        default:
            return "trace";
    }
}

// The length of the UTF-8 sequence starting at s[i], or 0 when it is not a
// well-formed one (overlong, a surrogate, past U+10FFFF, cut short).
size_t utf8Length(std::string_view s, size_t i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (size_t k = 2; k < n; ++k) {
        if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
    }
    return n;
}

// A JSON string's contents. Bytes that are not UTF-8 (a library's message
// may carry any) become U+FFFD: a log shipper rejects a line that is not.
void appendJsonString(std::string& out, std::string_view s) {
    out += '"';
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    if (c < 0x20 || c == 0x7F) {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04x", c);
                        out += buf;
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        const size_t n = utf8Length(s, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    out += '"';
}

// A text line with the prefix is cut by the journal at each line break.
std::string oneLine(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else
            out += c;
    }
    return out;
}

}  // namespace

int syslogPriority(int poco_priority) {
    if (poco_priority <= 1) return 1;
    if (poco_priority >= 7) return 7;
    return poco_priority;
}

std::string jsonLine(const LogRecord& r) {
    std::string out = "{\"time\":";
    const Poco::Timestamp at(static_cast<Poco::Timestamp::TimeVal>(r.epoch_micros));
    appendJsonString(out, Poco::DateTimeFormatter::format(at, "%Y-%m-%dT%H:%M:%S.%iZ"));
    out += ",\"level\":";
    appendJsonString(out, levelName(r.priority));
    out += ",\"logger\":";
    appendJsonString(out, r.logger);
    out += ",\"message\":";
    appendJsonString(out, r.message);
    out += '}';
    return out;
}

bool syslogPrefixWanted(std::string_view setting, const char* journal_stream, int fd) {
    if (setting == "true") return true;
    if (setting != "auto" || !journal_stream) return false;
    unsigned long long dev = 0, ino = 0;
    char end = 0;
    if (std::sscanf(journal_stream, "%llu:%llu%c", &dev, &ino, &end) != 2) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev &&
           static_cast<unsigned long long>(st.st_ino) == ino;
}

LineFormatter::LineFormatter(LogFormat format, bool syslog_prefix)
    : format_(format),
      prefix_(syslog_prefix),
      text_(new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%SZ %p %s: %t")) {}

void LineFormatter::format(const Poco::Message& message, std::string& text) {
    const int priority = static_cast<int>(message.getPriority());
    std::string line;
    if (format_ == LogFormat::kJson) {
        line = jsonLine(LogRecord{message.getTime().epochMicroseconds(), priority,
                                  message.getSource(), message.getText()});
    } else {
        text_->format(message, line);
        if (prefix_) line = oneLine(line);
    }
    if (prefix_) line = "<" + std::to_string(syslogPriority(priority)) + ">" + line;
    text = std::move(line);
}

void setupLogging(const std::string& level, const std::string& format,
                  const std::string& syslog_prefix) {
    const bool prefix =
        syslogPrefixWanted(syslog_prefix, std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
    Poco::AutoPtr<Poco::Formatter> formatter =
        new LineFormatter(format == "json" ? LogFormat::kJson : LogFormat::kText, prefix);
    Poco::AutoPtr<Poco::FormattingChannel> channel = new Poco::FormattingChannel(
        formatter, Poco::AutoPtr<Poco::Channel>(new Poco::ConsoleChannel(std::clog)));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(level);
}

}  // namespace prov::app
