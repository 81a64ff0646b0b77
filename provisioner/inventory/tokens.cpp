// API tokens: made, listed, revoked and checked; and the audit entries of
// reads that show secrets or fail to authenticate.

#include "provisioner/core/text.h"
#include "provisioner/core/time_format.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/model/json_encode.h"

namespace prov {

namespace {

constexpr size_t kMaxTokenName = 64;
// A token's last use is stored at most this often: one write a minute per
// token, not one per request.
constexpr int64_t kLastUsedPrecision = 60;

std::optional<std::string> nameProblem(const std::string& name) {
    if (name.empty()) return std::nullopt;
    if (!text::isPrintable(name) || text::codePoints(name) > kMaxTokenName)
        return "must be at most " + std::to_string(kMaxTokenName) + " printable characters";
    if (text::isDigits(name)) return std::string("must not be all digits (revoke takes an id or a name)");
    return std::nullopt;
}

std::string idList(const std::vector<ApiToken>& tokens) {
    std::string out;
    for (const ApiToken& t : tokens) out += (out.empty() ? "" : ", ") + std::to_string(t.id);
    return out;
}

}  // namespace

Result<NewToken> Inventory::createToken(const TokenSpec& spec, const Actor& actor) {
    const int64_t now = clock_.nowSeconds();
    FieldErrors errors;
    if (auto problem = nameProblem(spec.name)) errors["name"] = *problem;
    int64_t expires_at = 0;
    if (!spec.expires.empty()) {
        const std::optional<int64_t> at = parseExpiry(spec.expires, now);
        if (!at)
            errors["expires"] = "must be days (30d), hours (12h), a date (2026-12-31) or a time (2026-12-31T12:00:00Z)";
        else if (*at <= now)
            errors["expires"] = "must be in the future";
        else
            expires_at = *at;
    }
    if (!errors.empty()) return Error::invalid("the token is not valid", errors);
    NewToken made;
    made.secret = "prov_" + random_.alnum(40);
    made.record.name = spec.name;
    made.record.role = spec.role;
    made.record.hash = hasher_.sha256Hex(made.secret);
    made.record.expires_at = expires_at;
    // Not writeTx: a token is not config, no rendered file goes stale.
    TRY(store_.write([&](StoreTx& tx) -> Status {
        if (!spec.name.empty()) {
            for (const ApiToken& t : TRY(tx.listTokens())) {
                if (t.name == spec.name && !t.revoked_at)
                    return Error{Code::kAlreadyExists, "duplicate",
                                 "token " + std::to_string(t.id) + " is named " + spec.name + " already",
                                 {{"name", "is taken by token " + std::to_string(t.id)}}, {}};
            }
        }
        TRY(tx.insertToken(made.record));
        return audit(tx, actor, "create", "api_token", std::to_string(made.record.id), "",
                     json::stringify(json::toJson(made.record, now)));
    }));
    return made;
}

Result<std::vector<ApiToken>> Inventory::listTokens() {
    std::vector<ApiToken> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.listTokens());
        return okStatus();
    }));
    return out;
}

Result<ApiToken> Inventory::revokeToken(const std::string& id_or_name, const Actor& actor) {
    const int64_t now = clock_.nowSeconds();
    const bool by_id = text::isDigits(id_or_name) && id_or_name.size() <= 15;
    ApiToken revoked;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        std::vector<ApiToken> matches;
        for (const ApiToken& t : TRY(tx.listTokens())) {
            if (by_id ? std::to_string(t.id) == id_or_name : t.name == id_or_name && !t.revoked_at)
                matches.push_back(t);
        }
        if (matches.empty())
            return Error::notFound(by_id ? "no token with id " + id_or_name
                                         : "no token named '" + id_or_name + "' that is not revoked");
        if (matches.size() > 1)
            return Error::conflict("ambiguous", "tokens " + idList(matches) + " are all named '" + id_or_name +
                                                    "': revoke one by its id");
        revoked = matches.front();
        if (revoked.revoked_at)
            return Error::conflict("already_revoked", "token " + std::to_string(revoked.id) + " was revoked at " +
                                                          formatUtc(revoked.revoked_at));
        const std::string before = json::stringify(json::toJson(revoked, now));
        TRY(tx.revokeToken(revoked.id, now));
        revoked.revoked_at = now;
        return audit(tx, actor, "revoke", "api_token", std::to_string(revoked.id), before,
                     json::stringify(json::toJson(revoked, now)));
    }));
    return revoked;
}

Result<TokenAuth> Inventory::authenticate(const std::string& token) {
    const int64_t now = clock_.nowSeconds();
    TokenAuth out;
    const std::string hash = hasher_.sha256Hex(token);
    std::optional<ApiToken> found;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        found = TRY(tx.findToken(hash));
        return okStatus();
    }));
    if (!found) return out;
    out.token = *found;
    const std::string_view state = tokenState(*found, now);
    if (state == "revoked") out.check = TokenCheck::kRevoked;
    else if (state == "expired") out.check = TokenCheck::kExpired;
    else out.check = TokenCheck::kValid;
    if (out.check == TokenCheck::kValid && now - found->last_used_at >= kLastUsedPrecision) {
        // Best effort: a busy store must not turn a good token away.
        const Status used = store_.write([&](StoreTx& tx) { return tx.tokenUsed(found->id, now); });
        if (used) out.token.last_used_at = now;
    }
    return out;
}

Result<int64_t> Inventory::tokenCount() {
    int64_t n = 0;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        n = TRY(tx.countTokens());
        return okStatus();
    }));
    return n;
}

Status Inventory::auditAccess(const Actor& actor, const char* action, const char* entity, const std::string& id,
                              const std::string& after) {
    return store_.write([&](StoreTx& tx) { return audit(tx, actor, action, entity, id, "", after); });
}

}  // namespace prov
