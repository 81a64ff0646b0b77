// provisioner token: API tokens from the command line, for the admin at the
// server. `create` prints a new token once (only its hash is kept), `list`
// shows every token without its secret, `revoke` ends one at once. The same
// rules as /api/v1/tokens (inventory/tokens.cpp); creation and revocation are
// audited as done by "cli".

#include <iomanip>
#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
#include "provisioner/core/time_format.h"

namespace prov::app {

namespace {

int tokenFail(const std::string& line, int code = 1) {
    std::cerr << "provisioner: " << line << "\n";
    return code;
}

// The message and, for bad input, each field's problem.
std::string describe(const Error& e) {
    std::string why = e.message;
    for (const auto& [field, problem] : e.fields) why += "; --" + field + " " + problem;
    return why;
}

std::string when(int64_t t) { return t ? formatUtc(t) : "never"; }

int create(const Invocation& in) {
    const std::string role_name = in.flag("role");
    if (!in.has("role")) return tokenFail("token create needs --role ROLE (admin, installer or viewer)", kExitUsage);
    auto role = parseRole(role_name);
    if (!role) return tokenFail("--role must be admin, installer or viewer (got '" + role_name + "')", kExitUsage);
    auto s = in.open(Migrate::kYes);
    if (!s) return tokenFail(s.error().message, exitCodeFor(s.error()));
    const TokenSpec spec{*role, in.flag("name"), in.flag("expires")};
    auto made = s.value()->inventory->createToken(spec, Actor{"cli", Role::kAdmin});
    if (!made)
        return tokenFail(describe(made.error()), made.error().code == Code::kInvalidArgument ? kExitUsage : 1);
    std::cout << made.value().secret << "\n";
    return 0;
}

int list(const Invocation& in) {
    auto s = in.open(Migrate::kNo);
    if (!s) return tokenFail(s.error().message, exitCodeFor(s.error()));
    auto tokens = s.value()->inventory->listTokens();
    if (!tokens) return tokenFail(tokens.error().message);
    const int64_t now = s.value()->clock.nowSeconds();
    std::cout << std::left << std::setw(6) << "ID" << std::setw(22) << "NAME" << std::setw(11) << "ROLE"
              << std::setw(9) << "STATE" << std::setw(22) << "CREATED" << std::setw(22) << "EXPIRES"
              << "LAST USED\n";
    for (const ApiToken& t : tokens.value()) {
        std::cout << std::left << std::setw(6) << t.id << std::setw(22) << (t.name.empty() ? "-" : t.name)
                  << std::setw(11) << toString(t.role) << std::setw(9) << tokenState(t, now) << std::setw(22)
                  << formatUtc(t.created_at) << std::setw(22) << when(t.expires_at) << when(t.last_used_at) << "\n";
    }
    return 0;
}

int revoke(const Invocation& in) {
    auto s = in.open(Migrate::kNo);
    if (!s) return tokenFail(s.error().message, exitCodeFor(s.error()));
    auto revoked = s.value()->inventory->revokeToken(in.line.words[2], Actor{"cli", Role::kAdmin});
    if (!revoked) return tokenFail(describe(revoked.error()));
    const ApiToken& t = revoked.value();
    std::cout << "token " << t.id << (t.name.empty() ? "" : " (" + t.name + ")") << " revoked\n";
    return 0;
}

}  // namespace

int runToken(const Invocation& in) {
    const auto& words = in.line.words;
    const std::string verb = words.size() >= 2 ? words[1] : "";
    const bool create_only = in.has("role") || in.has("name") || in.has("expires");
    if (verb == "create" && words.size() == 2) return create(in);
    if (verb == "list" && words.size() == 2 && !create_only) return list(in);
    if (verb == "revoke" && words.size() == 3 && !create_only) return revoke(in);
    return tokenFail("usage: provisioner " + usageLine(in.command), kExitUsage);
}

}  // namespace prov::app
