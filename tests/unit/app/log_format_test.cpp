// The log line formats (log_format.h): JSON lines escaped whatever the
// message holds, the sd-daemon priority prefix, and when `auto` turns it on.

#include "provisioner/app/log_format.h"

#include <Poco/Message.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "temp_dir.h"

using namespace prov::app;

TEST_CASE("syslog priorities follow Poco's own SyslogChannel") {
    // fatal critical error warning notice information debug trace
    const int expected[] = {1, 2, 3, 4, 5, 6, 7, 7};
    for (int p = 1; p <= 8; ++p) CHECK(syslogPriority(p) == expected[p - 1]);
}

TEST_CASE("a JSON line holds time, level, logger and message, escaped") {
    // 2024-11-28T10:00:00.123456Z
    const int64_t at = int64_t{1732788000} * 1'000'000 + 123'456;
    CHECK(
        jsonLine(LogRecord{at, 4, "security", "event=sweep_block src=192.0.2.7"}) ==
        R"({"time":"2024-11-28T10:00:00.123Z","level":"warning","logger":"security","message":"event=sweep_block src=192.0.2.7"})");
    const std::string tricky = std::string("a \"q\" \\ b\nc\td\r\x01\x7f ") +
                               "caf\xc3\xa9 \xe2\x82\xac " +
                               "bad \xff \xc3 \xed\xa0\x80 \xf0\x9f\x93\x9e";
    CHECK(jsonLine(LogRecord{0, 3, "provisioner", tricky}) ==
          "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"error\",\"logger\":\"provisioner\","
          "\"message\":"
          "\"a \\\"q\\\" \\\\ b\\nc\\td\\r\\u0001\\u007f caf\xc3\xa9 \xe2\x82\xac bad \\ufffd "
          "\\ufffd "
          "\\ufffd\\ufffd\\ufffd \xf0\x9f\x93\x9e\"}");
    CHECK(jsonLine(LogRecord{0, 8, "x", ""}).find("\"level\":\"trace\"") != std::string::npos);
    CHECK(jsonLine(LogRecord{0, 6, "x", ""}).find("\"level\":\"information\"") !=
          std::string::npos);
}

TEST_CASE("the formatter: text as before, JSON, and the priority prefix on either") {
    Poco::Message m("security", "event=auth_block src=10.0.0.1\nsecond line",
                    Poco::Message::PRIO_WARNING);
    m.setTime(Poco::Timestamp(int64_t{1732788000} * 1'000'000));
    std::string line;
    LineFormatter(LogFormat::kText, false).format(m, line);
    CHECK(line ==
          "2024-11-28T10:00:00Z Warning security: event=auth_block src=10.0.0.1\nsecond line");
    LineFormatter(LogFormat::kText, true).format(m, line);
    CHECK(line ==
          "<4>2024-11-28T10:00:00Z Warning security: event=auth_block src=10.0.0.1\\nsecond line");
    LineFormatter(LogFormat::kJson, true).format(m, line);
    CHECK(line ==
          "<4>{\"time\":\"2024-11-28T10:00:00.000Z\",\"level\":\"warning\",\"logger\":\"security\","
          "\"message\":\"event=auth_block src=10.0.0.1\\nsecond line\"}");
    Poco::Message fatal("provisioner", "down", Poco::Message::PRIO_FATAL);
    LineFormatter(LogFormat::kJson, true).format(fatal, line);
    CHECK(line.rfind("<1>{", 0) == 0);
}

TEST_CASE("the prefix: true, false, or auto when standard error is the journal's stream") {
    prov::testing::TempDir dir;
    const std::string path = dir.write("stream", "");
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    const std::string same = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    const std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);

    CHECK(syslogPrefixWanted("true", nullptr, fd));
    CHECK_FALSE(syslogPrefixWanted("false", same.c_str(), fd));
    CHECK(syslogPrefixWanted("auto", same.c_str(), fd));
    // A child whose output was redirected inherits the variable, not the stream.
    CHECK_FALSE(syslogPrefixWanted("auto", other.c_str(), fd));
    CHECK_FALSE(syslogPrefixWanted("auto", nullptr, fd));
    for (const char* bad : {"", "1:", ":2", "x:y", "1:2:3", "1:2 "}) {
        INFO(bad);
        CHECK_FALSE(syslogPrefixWanted("auto", bad, fd));
    }
    ::close(fd);
}
