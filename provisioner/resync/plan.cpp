#include "provisioner/resync/plan.h"

namespace prov::resync {

PushPlan planPush(Route route, bool have_hook, const std::vector<Extension>& lines) {
    PushPlan plan;
    if (route == Route::kOff) {
        plan.detail = "resync.route is off";
        return plan;
    }
    for (const Extension& e : lines) {
        if (e.status == RegStatus::kOk && !e.ip.empty() && e.port > 0) {
            plan.line = e;
            break;
        }
    }
    if (!plan.line) {
        plan.detail = "no line is registered (status OK with an address and port)";
        return plan;
    }
    const std::string& transport = plan.line->reg_transport;
    if (route == Route::kHook || transport == "tcp" || transport == "tls") {
        if (have_hook) {
            plan.way = PushPlan::Way::kHook;
        } else if (route == Route::kHook) {
            plan.detail = "resync.route is hook and resync.hook is not set";
        } else {
            plan.detail = "registered over " +
                          (transport == "tls" ? std::string("TLS") : std::string("TCP")) +
                          "; configure resync.hook to reach it through the PBX";
        }
        return plan;
    }
    plan.way = PushPlan::Way::kNotify;
    return plan;
}

}  // namespace prov::resync
