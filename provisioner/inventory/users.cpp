// Portal users: made, listed, changed and deleted, audited without their
// password (not even its hash); and the clearing of sign-in throttles.

#include <Poco/JSON/Object.h>

#include "provisioner/core/text.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/model/json_encode.h"

namespace prov {

namespace {

constexpr size_t kMaxUserName = 64;
constexpr size_t kMaxPassword = 1024;

std::optional<std::string> nameProblem(const std::string& name) {
    if (name.empty() || name.size() > kMaxUserName)
        return "must be 1 to " + std::to_string(kMaxUserName) + " characters";
    for (char c : name) {
        const bool fine = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                          c == '_' || c == '-' || c == '@';
        if (!fine) return std::string("may hold only letters, digits and . _ - @");
    }
    if (name[0] == '-') return std::string("must not begin with '-'");
    return std::nullopt;
}

std::optional<std::string> passwordProblem(const std::string& password) {
    if (text::codePoints(password) < kMinPasswordLength)
        return "must be at least " + std::to_string(kMinPasswordLength) + " characters";
    if (password.size() > kMaxPassword) return "must be at most " + std::to_string(kMaxPassword) + " bytes";
    return std::nullopt;
}

// What the audit keeps of a user: never the password or its hash.
std::string userJson(const PortalUser& u, bool password_changed = false) {
    auto o = json::newObject();
    o->set("id", u.id);
    o->set("name", u.name);
    o->set("role", std::string(toString(u.role)));
    o->set("disabled", u.disabled);
    if (password_changed) o->set("password", "changed");
    return json::stringify(o);
}

Error noUser(const std::string& name) { return Error::notFound("no user named '" + name + "'"); }

bool enabledAdmin(const PortalUser& u) { return u.role == Role::kAdmin && !u.disabled; }

// Refuses a change (`after`; none: a delete) that takes away the last
// enabled admin: no one could then manage users from the portal or the API
// by a session, and only the host's root, with the CLI, could mend it.
Status keepsAnAdmin(StoreTx& tx, const PortalUser& before, const PortalUser* after, LastAdmin last) {
    if (last == LastAdmin::kMayRemove || !enabledAdmin(before) || (after && enabledAdmin(*after))) return okStatus();
    const std::vector<PortalUser> users = TRY(tx.listUsers());
    for (const PortalUser& u : users) {
        if (u.id != before.id && enabledAdmin(u)) return okStatus();
    }
    const char* what = !after ? "deleted" : after->disabled ? "disabled" : "given another role";
    return Error{Code::kConflict, "last_admin",
                 "'" + before.name + "' is the last admin: it cannot be " + what + " (make another user admin first)",
                 {}, {}};
}

}  // namespace

Result<PortalUser> Inventory::createUser(const UserSpec& spec, const Actor& actor) {
    FieldErrors errors;
    if (auto problem = nameProblem(spec.name)) errors["name"] = *problem;
    if (auto problem = passwordProblem(spec.password)) errors["password"] = *problem;
    if (!errors.empty()) return Error::invalid("the user is not valid", errors);
    PortalUser user;
    user.name = spec.name;
    user.role = spec.role;
    // Hashed before the transaction: it takes a good part of a second.
    user.password_hash = TRY(hashPassword(spec.password, portal_.password, random_));
    TRY(store_.write([&](StoreTx& tx) -> Status {
        if (TRY(tx.getUser(spec.name)))
            return Error{Code::kAlreadyExists, "duplicate", "a user named '" + spec.name + "' exists already",
                         {{"name", "is taken"}}, {}};
        TRY(tx.insertUser(user));
        return audit(tx, actor, "create", "user", user.name, "", userJson(user));
    }));
    return user;
}

Result<std::vector<PortalUser>> Inventory::listUsers() {
    std::vector<PortalUser> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.listUsers());
        return okStatus();
    }));
    return out;
}

Result<PortalUser> Inventory::getUser(const std::string& name) {
    std::optional<PortalUser> found;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        found = TRY(tx.getUser(name));
        return okStatus();
    }));
    if (!found) return noUser(name);
    return *found;
}

Result<PortalUser> Inventory::changeUser(const std::string& name, const UserChange& change, const Actor& actor,
                                         LastAdmin last) {
    std::string new_hash;
    if (change.password) {
        if (auto problem = passwordProblem(*change.password))
            return Error::invalid("the user is not valid", {{"password", *problem}});
        new_hash = TRY(hashPassword(*change.password, portal_.password, random_));
    }
    PortalUser user;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        std::optional<PortalUser> found = TRY(tx.getUser(name));
        if (!found) return noUser(name);
        user = *found;
        const std::string before = userJson(user);
        if (change.role) user.role = *change.role;
        if (change.disabled) user.disabled = *change.disabled;
        if (change.password) user.password_hash = new_hash;
        TRY(keepsAnAdmin(tx, *found, &user, last));
        TRY(tx.updateUser(user));
        // A new password, a disabled account or another role: whoever is
        // signed in as this user signs in again (with the new role, if any).
        if (change.password || user.disabled || user.role != found->role) TRY(tx.deleteUserSessions(user.id));
        return audit(tx, actor, "update", "user", user.name, before, userJson(user, change.password.has_value()));
    }));
    return user;
}

Status Inventory::deleteUser(const std::string& name, const Actor& actor, LastAdmin last) {
    return store_.write([&](StoreTx& tx) -> Status {
        std::optional<PortalUser> found = TRY(tx.getUser(name));
        if (!found) return noUser(name);
        TRY(keepsAnAdmin(tx, *found, nullptr, last));
        TRY(tx.deleteUserSessions(found->id));
        TRY(tx.deleteUser(found->id));
        return audit(tx, actor, "delete", "user", found->name, userJson(*found), "");
    });
}

Result<bool> Inventory::unthrottle(const std::string& name_or_ip, const Actor& actor) {
    bool cleared = false;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        const bool user = TRY(tx.deleteThrottle(throttle::userKey(name_or_ip)));
        const bool source = TRY(tx.deleteThrottle(throttle::sourceKey(name_or_ip)));
        cleared = user || source;
        if (!cleared) return okStatus();
        return audit(tx, actor, "unthrottle", "sign_in", name_or_ip, "", "");
    }));
    return cleared;
}

}  // namespace prov
