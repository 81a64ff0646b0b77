#pragma once

// How `serve` writes its log lines to standard error (log.format,
// log.syslog_prefix):
//
//   text   2024-11-28T10:00:00Z Warning security: event=sweep_block src=...
//   json
//   {"time":"2024-11-28T10:00:00.123Z","level":"warning","logger":"security","message":"event=..."}
//
// With the syslog prefix each line starts with its priority as sd-daemon
// spells it (`<4>` for a warning, sd-daemon(3)), which the journal reads
// and strips, so `journalctl -p warning` sees each line's own level instead
// of every line at the unit's. `auto` turns it on when standard error is
// the journal: systemd sets JOURNAL_STREAM to that stream's device and inode,
// which are compared with standard error's own (a child whose output a
// script redirected inherits the variable, not the stream).
//
// One record is always one line: a message's line breaks are escaped in
// JSON and, with the prefix (where the journal would cut the record in two),
// in text too.

#include <Poco/AutoPtr.h>
#include <Poco/Formatter.h>
#include <Poco/PatternFormatter.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace prov::app {

enum class LogFormat { kText, kJson };

// A record as the formatter sees it: Poco's priority (1 fatal .. 8 trace).
struct LogRecord {
    int64_t epoch_micros = 0;
    int priority = 6;
    std::string_view logger;
    std::string_view message;
};

// The syslog priority of Poco's: fatal 1 (alert), critical 2, error 3,
// warning 4, notice 5, information 6, debug and trace 7 (as Poco's own
// SyslogChannel maps them).
int syslogPriority(int poco_priority);

// The JSON line of a record, without its line break.
std::string jsonLine(const LogRecord& record);

// Whether `setting` (auto, true, false) turns the prefix on; for auto,
// `journal_stream` (JOURNAL_STREAM's value, or null) must name `fd`'s
// device and inode ("DEV:INODE").
bool syslogPrefixWanted(std::string_view setting, const char* journal_stream, int fd);

class LineFormatter final : public Poco::Formatter {
  public:
    LineFormatter(LogFormat format, bool syslog_prefix);
    void format(const Poco::Message& message, std::string& text) override;

  private:
    LogFormat format_;
    bool prefix_;
    Poco::AutoPtr<Poco::PatternFormatter> text_;
};

// Sets the root logger's channel (standard error through a LineFormatter)
// and level from the config's log.* keys.
void setupLogging(const std::string& level, const std::string& format,
                  const std::string& syslog_prefix);

}  // namespace prov::app
