#include "provisioner/resync/hook.h"

#include <catch2/catch.hpp>
#include <chrono>

using namespace prov::resync;

namespace {

HookValues values() {
    HookValues v;
    v.mac = "001565aabbcc";
    v.extension = "1001";
    v.ip = "192.0.2.7";
    v.port = "5062";
    v.transport = "tls";
    v.event = "check-sync;reboot=false";
    v.vendor = "yealink";
    v.site = "HQ floor 2";
    return v;
}

}  // namespace

TEST_CASE("a hook is split into words once, quotes group them") {
    auto h = parseHook(
        "exec:/usr/sbin/asterisk  -rx \"pjsip send notify {vendor}-check-sync endpoint "
        "{extension}\"");
    REQUIRE(h);
    CHECK(h.value().argv ==
          std::vector<std::string>{"/usr/sbin/asterisk", "-rx",
                                   "pjsip send notify {vendor}-check-sync endpoint {extension}"});
    auto q = parseHook("exec:/bin/echo 'a \"b\"' x\"y z\"w ''");
    REQUIRE(q);
    CHECK(q.value().argv == std::vector<std::string>{"/bin/echo", "a \"b\"", "xy zw", ""});
}

TEST_CASE("placeholders are replaced in each word, values never split or substituted again") {
    auto h = parseHook(
        "exec:/x {mac} {extension}@{ip}:{port} {transport} {event} {vendor} {site} {mac}{mac}");
    REQUIRE(h);
    CHECK(hookArguments(h.value(), values()) ==
          std::vector<std::string>{"/x", "001565aabbcc", "1001@192.0.2.7:5062", "tls",
                                   "check-sync;reboot=false", "yealink", "HQ floor 2",
                                   "001565aabbcc001565aabbcc"});
    HookValues v = values();
    v.site = "{mac} $(rm -rf /) ; `x`";
    auto site = parseHook("exec:/x {site}");
    REQUIRE(site);
    CHECK(hookArguments(site.value(), v) ==
          std::vector<std::string>{"/x", "{mac} $(rm -rf /) ; `x`"});
}

TEST_CASE("a bad hook is refused when the configuration is read, saying why") {
    struct Case {
        const char* spec;
        const char* says;
    };
    const Case cases[] = {
        {"/usr/bin/x", "exec:"},
        {"https://pbx.example/hook", "only exec:"},
        {"exec:", "no program"},
        {"exec:asterisk -rx x", "absolute path"},
        {"exec:/x \"open", "unterminated"},
        {"exec:/x {ext}", "{ext}"},
        {"exec:/x\r\nEvil: yes", "control"},
    };
    for (const Case& c : cases) {
        INFO(c.spec);
        auto h = parseHook(c.spec);
        REQUIRE_FALSE(h);
        CHECK(h.error().message.find(c.says) != std::string::npos);
        CHECK(h.error().fields.count("resync.hook"));
    }
    // Braces that are not a placeholder's name are text (a JSON body).
    CHECK(parseHook("exec:/x {\"a\":1} {}"));
}

TEST_CASE("a hook runs without a shell: exit 0 is ok, else the exit code and output") {
    HookRun ok = runHook({"/bin/sh", "-c", "test \"$1\" = 'a b;c'", "sh", "a b;c"}, 5000);
    CHECK(ok.ok());
    CHECK(ok.detail == "exited 0");
    HookRun bad =
        runHook({"/bin/sh", "-c", "echo no such endpoint; echo second >&2; exit 3"}, 5000);
    CHECK_FALSE(bad.ok());
    CHECK(bad.exit_code == 3);
    CHECK(bad.detail == "exited 3: no such endpoint | second");
    HookRun missing = runHook({"/nonexistent/hook"}, 5000);
    CHECK_FALSE(missing.ok());
}

TEST_CASE("a hook past its timeout is killed, with what it started") {
    const auto t0 = std::chrono::steady_clock::now();
    HookRun r = runHook({"/bin/sh", "-c", "sleep 30 & sleep 30"}, 300);
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(r.timed_out);
    CHECK_FALSE(r.ok());
    CHECK(r.detail.find("killed after 300 ms") != std::string::npos);
    CHECK(took < std::chrono::seconds(5));
}
