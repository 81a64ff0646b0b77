#include "provisioner/resync/plan.h"

#include <catch2/catch.hpp>

using namespace prov;
using namespace prov::resync;

namespace {

Extension line(const std::string& ext, RegStatus status, const std::string& ip, int port,
               const std::string& transport = "") {
    Extension e;
    e.extension = ext;
    e.status = status;
    e.ip = ip;
    e.port = port;
    e.reg_transport = transport;
    return e;
}

}  // namespace

TEST_CASE("the first line registered OK with an address and port is the one pushed to") {
    const std::vector<Extension> lines{line("1001", RegStatus::kUnreachable, "192.0.2.7", 5060),
                                       line("1002", RegStatus::kOk, "", 0),
                                       line("1003", RegStatus::kOk, "192.0.2.7", 5062, "udp"),
                                       line("1004", RegStatus::kOk, "192.0.2.7", 5064)};
    const PushPlan p = planPush(Route::kNotify, false, lines);
    CHECK(p.way == PushPlan::Way::kNotify);
    REQUIRE(p.line);
    CHECK(p.line->extension == "1003");
}

TEST_CASE("UDP or unreported gets a NOTIFY, TCP and TLS only the hook") {
    const auto udp = std::vector<Extension>{line("1", RegStatus::kOk, "192.0.2.7", 5060, "")};
    const auto tls = std::vector<Extension>{line("1", RegStatus::kOk, "192.0.2.7", 5061, "tls")};
    const auto tcp = std::vector<Extension>{line("1", RegStatus::kOk, "192.0.2.7", 5060, "tcp")};
    CHECK(planPush(Route::kNotify, true, udp).way == PushPlan::Way::kNotify);
    CHECK(planPush(Route::kNotify, true, tls).way == PushPlan::Way::kHook);
    const PushPlan skipped = planPush(Route::kNotify, false, tls);
    CHECK(skipped.way == PushPlan::Way::kSkip);
    CHECK(skipped.detail ==
          "registered over TLS; configure resync.hook to reach it through the PBX");
    CHECK(planPush(Route::kNotify, false, tcp).detail.find("over TCP") != std::string::npos);
    CHECK(planPush(Route::kHook, true, udp).way == PushPlan::Way::kHook);
    CHECK(planPush(Route::kOff, true, udp).way == PushPlan::Way::kSkip);
}

TEST_CASE("no registration: skipped") {
    const PushPlan p = planPush(Route::kNotify, true, {line("1", RegStatus::kBlank, "", 0)});
    CHECK(p.way == PushPlan::Way::kSkip);
    CHECK_FALSE(p.line);
    CHECK(planPush(Route::kNotify, true, {}).way == PushPlan::Way::kSkip);
}
