// The event spool's file format (every field round-trips, anything else is
// refused) and its folder (order, bound, files left by a previous run,
// damaged files set aside, one process at a time).

#include "provisioner/service/event_spool.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <limits>

#include "temp_dir.h"

using namespace prov;
using namespace std::string_literals;

namespace {

const std::string kId = "0123456789abcdefghijABCDEFGHIJkl";

// Every field set, none to its default; odd bytes where a phone chooses them.
Event everyField() {
    Event e;
    e.at = 1'700'000'123;
    e.mac = "0015654aa937";
    e.peer_ip = "fe80::1%eth0";
    e.protocol = "https";
    e.path = "/a b/\n:\r\x00\xff.cfg"s;
    e.user_agent =
        "Yealink \"T46U\"\n12:34\x01\x7f\xc3\xa9 \xfe\xff\x00"
        "end 5:x\n"s;
    e.vendor = "yealink";
    e.model = "T46U";
    e.firmware = "108.86.0.90";
    e.outcome = "denied";
    e.bytes = std::numeric_limits<int64_t>::max();
    e.duration_us = std::numeric_limits<int64_t>::min();
    e.config_hash = "9f86d081884c7d659a2feaa0c55ad015";
    e.auth = "client_cert";
    e.wipe = true;
    e.device_config = true;
    e.fw_file = true;
    e.fw_target = "108.86.0.95";
    e.fw_told = true;
    e.not_modified = true;
    return e;
}

void checkSame(const Event& a, const Event& b) {
    CHECK(a.at == b.at);
    CHECK(a.mac == b.mac);
    CHECK(a.peer_ip == b.peer_ip);
    CHECK(a.protocol == b.protocol);
    CHECK(a.path == b.path);
    CHECK(a.user_agent == b.user_agent);
    CHECK(a.vendor == b.vendor);
    CHECK(a.model == b.model);
    CHECK(a.firmware == b.firmware);
    CHECK(a.outcome == b.outcome);
    CHECK(a.bytes == b.bytes);
    CHECK(a.duration_us == b.duration_us);
    CHECK(a.config_hash == b.config_hash);
    CHECK(a.auth == b.auth);
    CHECK(a.wipe == b.wipe);
    CHECK(a.device_config == b.device_config);
    CHECK(a.fw_file == b.fw_file);
    CHECK(a.fw_target == b.fw_target);
    CHECK(a.fw_told == b.fw_told);
    CHECK(a.not_modified == b.not_modified);
}

EventBatch batchOf(const std::string& id, int events, int first = 0) {
    EventBatch b{id, {}};
    for (int i = 0; i < events; ++i) {
        Event e;
        e.at = 100 + first + i;
        e.protocol = "http";
        e.path = "f" + std::to_string(first + i);
        e.outcome = "served";
        b.events.push_back(e);
    }
    return b;
}

std::vector<std::string> filesIn(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("a spooled batch round-trips every field of its events, odd bytes included") {
    EventBatch batch{kId, {everyField(), Event{}}};
    REQUIRE(batch.events[0].path.size() == 14);  // the NUL byte inside is kept
    batch.events[1].protocol = "tftp";           // the other with defaults
    const std::string bytes = encodeEventBatch(batch);
    auto back = decodeEventBatch(bytes);
    REQUIRE(back);
    CHECK(back.value().id == kId);
    REQUIRE(back.value().events.size() == 2);
    checkSame(back.value().events[0], batch.events[0]);
    checkSame(back.value().events[1], batch.events[1]);
    // An empty batch is a batch too.
    CHECK(decodeEventBatch(encodeEventBatch(EventBatch{kId, {}})).value().events.empty());
}

TEST_CASE("a spool file cut short anywhere, or changed in any byte, is refused") {
    const std::string bytes = encodeEventBatch(EventBatch{kId, {everyField(), everyField()}});
    for (size_t n = 0; n < bytes.size(); ++n) {
        INFO("cut at " << n);
        CHECK_FALSE(decodeEventBatch(bytes.substr(0, n)));
    }
    for (size_t i = 0; i < bytes.size(); ++i) {
        std::string changed = bytes;
        changed[i] = static_cast<char>(changed[i] ^ 0x01);
        INFO("byte " << i << " changed");
        CHECK_FALSE(decodeEventBatch(changed));
    }
    CHECK_FALSE(decodeEventBatch(bytes + "x"));
}

TEST_CASE("a spool file is refused, saying why, when it is not this format's") {
    // Well formed, the checksum right, but a rule broken: made by hand.
    auto withEnd = [](std::string body) {
        uint64_t h = 1469598103934665603ULL;
        for (unsigned char c : body) h = (h ^ c) * 1099511628211ULL;
        char sum[17];
        std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(h));
        return body + "end " + sum + "\n";
    };
    std::string fields;
    for (int i = 0; i < 20; ++i) fields += "1:1\n";  // "1" fits every field
    // An event with long text fields: room in the file for a second one.
    std::string long_fields;
    for (int i = 0; i < 20; ++i) {
        const bool text = (i >= 1 && i <= 9) || i == 12 || i == 13 || i == 17;
        long_fields += text ? "30:" + std::string(30, 'a') + "\n" : "1:1\n";
    }
    const std::string head = "provisioner-event-batch 1\nid " + kId + "\n";
    REQUIRE(decodeEventBatch(withEnd(head + "events 1 20\n" + fields)));
    struct Case {
        std::string bytes;
        std::string why;
    };
    const Case cases[] = {
        {withEnd("provisioner-event-batch 2\nid " + kId + "\nevents 0 20\n"), "format version 1"},
        {withEnd("provisioner-event-batch 1\nid short\nevents 0 20\n"), "batch id"},
        {withEnd("provisioner-event-batch 1\nid " + kId.substr(1) + "-\nevents 0 20\n"),
         "batch id"},
        {withEnd(head + "events 1 19\n" + fields), "20 fields"},
        {withEnd(head + "events 01 20\n" + fields), "event count"},
        {withEnd(head + "events 2 20\n" + fields), "event count"},  // more than its bytes can hold
        {withEnd(head + "events 2 20\n" + long_fields), "event 2, field 1"},
        {withEnd(head + "events 1 20\n2:-0\n" + fields.substr(4)), "not an integer"},
        {withEnd(head + "events 1 20\n20:99999999999999999999\n" + fields.substr(4)),
         "not an integer"},
        {withEnd(head + "events 1 20\n" + fields.substr(0, 14 * 4) + "1:2\n" +
                 fields.substr(15 * 4)),
         "0 or 1"},
    };
    for (const Case& c : cases) {
        auto r = decodeEventBatch(c.bytes);
        INFO(c.bytes);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::Contains(c.why));
    }
}

TEST_CASE("the spool gives batches back oldest first, from 0600 files, and forgets each removed") {
    testing::TempDir dir;
    const std::string folder = dir.path() + "/spool";
    auto spool = EventSpool::open(folder, 1 << 20).value();
    CHECK(spool->empty());
    CHECK_FALSE(spool->oldest().value());
    for (int b = 0; b < 3; ++b) {
        const std::string id = kId.substr(0, 31) + std::to_string(b);
        REQUIRE(spool->append(batchOf(id, 2, b * 2)).value() == EventSpool::Added::kSpooled);
    }
    CHECK(spool->batches() == 3);
    CHECK(spool->events() == 6);
    const auto files = filesIn(folder);
    REQUIRE(files == std::vector<std::string>{"00000000000000000001.batch",
                                              "00000000000000000002.batch",
                                              "00000000000000000003.batch", "lock"});
    struct stat st {};
    REQUIRE(::stat((folder + "/" + files[0]).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(folder.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    for (int b = 0; b < 3; ++b) {
        auto batch = spool->oldest().value();
        REQUIRE(batch);
        CHECK(batch->events.front().path == "f" + std::to_string(b * 2));
        REQUIRE(spool->removeOldest());
    }
    CHECK(spool->empty());
    CHECK(spool->bytes() == 0);
    CHECK(filesIn(folder) == std::vector<std::string>{"lock"});
}

TEST_CASE("the spool refuses a batch past its size and writes nothing for it") {
    testing::TempDir dir;
    const size_t one = encodeEventBatch(batchOf(kId, 10)).size();
    auto spool = EventSpool::open(dir.path(), one * 2 + one / 2).value();
    CHECK(spool->append(batchOf(kId, 10)).value() == EventSpool::Added::kSpooled);
    CHECK(spool->append(batchOf(kId, 10)).value() == EventSpool::Added::kSpooled);
    CHECK(spool->append(batchOf(kId, 10)).value() == EventSpool::Added::kFull);
    CHECK(spool->batches() == 2);
    CHECK(filesIn(dir.path()).size() == 3);  // two batches and the lock
    REQUIRE(spool->removeOldest());
    CHECK(spool->append(batchOf(kId, 10)).value() == EventSpool::Added::kSpooled);
}

TEST_CASE("a spool left by a previous run is found in order, and new batches go after it") {
    testing::TempDir dir;
    {
        auto spool = EventSpool::open(dir.path(), 1 << 20).value();
        REQUIRE(spool->append(batchOf(kId, 1, 0)));
        REQUIRE(spool->append(batchOf(kId, 2, 1)));
    }
    dir.write("00000000000000000003.batch.partial", "half a batch");  // a crash before its rename
    dir.write("notes.txt", "an operator's");
    auto spool = EventSpool::open(dir.path(), 1 << 20).value();
    CHECK(spool->batches() == 2);
    CHECK(spool->events() == 3);
    REQUIRE(spool->append(batchOf(kId, 1, 3)));
    CHECK(filesIn(dir.path()) ==
          std::vector<std::string>{"00000000000000000001.batch", "00000000000000000002.batch",
                                   "00000000000000000003.batch", "lock", "notes.txt"});
    // One process per folder: a second open is refused while this one lives.
    auto second = EventSpool::open(dir.path(), 1 << 20);
    REQUIRE_FALSE(second);
    CHECK_THAT(second.error().message, Catch::Contains("in use by another process"));
}

TEST_CASE(
    "a damaged spool file is set aside as .bad, at open or when its turn comes, and the rest go "
    "on") {
    testing::TempDir dir;
    {
        auto spool = EventSpool::open(dir.path(), 1 << 20).value();
        for (int b = 0; b < 3; ++b) REQUIRE(spool->append(batchOf(kId, 1, b)));
    }
    dir.write("00000000000000000001.batch", "provisioner-event-batch 1\nid garbage\n");
    auto spool = EventSpool::open(dir.path(), 1 << 20).value();
    CHECK(spool->batches() == 2);
    CHECK(std::filesystem::exists(dir.path() + "/00000000000000000001.batch.bad"));
    // Edited after this run counted it.
    dir.write("00000000000000000002.batch", "");
    auto next = spool->oldest().value();
    REQUIRE(next);
    CHECK(next->events.front().path == "f2");
    CHECK(spool->batches() == 1);
    CHECK(std::filesystem::exists(dir.path() + "/00000000000000000002.batch.bad"));
    REQUIRE(spool->removeOldest());
    // With every batch gone, a new one is numbered past those set aside.
    spool.reset();
    spool = EventSpool::open(dir.path(), 1 << 20).value();
    REQUIRE(spool->append(batchOf(kId, 1)));
    CHECK(std::filesystem::exists(dir.path() + "/00000000000000000003.batch"));
}

TEST_CASE("a spool file that cannot be read now is kept and read again, not set aside") {
    testing::TempDir dir;
    auto spool = EventSpool::open(dir.path(), 1 << 20).value();
    REQUIRE(spool->append(batchOf(kId, 1, 0)));
    const std::string file = dir.path() + "/00000000000000000001.batch";
    const std::string kept = dir.path() + "/kept";
    std::filesystem::rename(file, kept);
    // A read that fails (as EIO or EMFILE would): a folder in its place.
    std::filesystem::create_directory(file);
    auto unreadable = spool->oldest();
    REQUIRE_FALSE(unreadable);
    CHECK(spool->batches() == 1);
    CHECK_FALSE(std::filesystem::exists(file + ".bad"));
    std::filesystem::remove(file);
    std::filesystem::rename(kept, file);
    auto batch = spool->oldest().value();
    REQUIRE(batch);
    CHECK(batch->events.front().path == "f0");
}

TEST_CASE("a spool file numbered past what 64 bits hold is set aside, not wrapped to a small number") {
    testing::TempDir dir;
    {
        auto spool = EventSpool::open(dir.path(), 1 << 20).value();
        REQUIRE(spool->append(batchOf(kId, 1, 0)));
    }
    // UINT64_MAX is 18446744073709551615: both names would wrap.
    for (const std::string name : {"99999999999999999999.batch", "18446744073709551615.batch"})
        std::filesystem::copy_file(dir.path() + "/00000000000000000001.batch", dir.path() + "/" + name);
    auto spool = EventSpool::open(dir.path(), 1 << 20).value();
    CHECK(spool->batches() == 1);
    CHECK(std::filesystem::exists(dir.path() + "/99999999999999999999.batch.bad"));
    CHECK(std::filesystem::exists(dir.path() + "/18446744073709551615.batch.bad"));
    REQUIRE(spool->append(batchOf(kId, 1, 1)));
    CHECK(std::filesystem::exists(dir.path() + "/00000000000000000002.batch"));
}
