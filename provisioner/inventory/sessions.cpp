// Portal sessions: sign-in (throttled, audited), the session behind a
// cookie, sign-out. The cookie is a random id the store keeps only as a
// SHA-256 hash; its CSRF token is an HMAC of it, never stored. A sign-in also
// gives the browser a device cookie (device_cookie.h).

#include <algorithm>
#include <cctype>

#include "provisioner/core/text.h"
#include "provisioner/inventory/device_cookie.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/model/json_encode.h"

namespace prov {

namespace {

// 43 characters of [A-Za-z0-9]: about 256 bits.
constexpr size_t kCookieLength = 43;

std::string sessionActor(const PortalUser& u) {
    return "user:" + u.name + " (" + std::string(toString(u.role)) + ")";
}

bool plausibleCookie(const std::string& cookie) {
    return cookie.size() == kCookieLength &&
           std::all_of(cookie.begin(), cookie.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

}  // namespace

std::string Inventory::csrfToken(const std::string& cookie) const { return hasher_.hmacSha256Hex(cookie, "csrf"); }

// The keys an attempt counts on: its source's always; the name's, unless the
// browser's device cookie vouches for that name, when the device's stands in
// for it. A guesser who blocks a name thus does not block its user on a
// browser that signed in before; a guesser who stole that cookie is still
// counted on the device's key (and the source's).
std::vector<std::string> Inventory::signInKeys(const std::string& name, const std::string& source,
                                               const std::string& device_cookie, int64_t now) const {
    const bool vouched = device_cookie::vouches(hasher_, portal_.device_key, device_cookie, name, now,
                                                portal_.device_cookie_seconds);
    return {throttle::sourceKey(source),
            vouched ? throttle::deviceKey(hasher_.sha256Hex(device_cookie)) : throttle::userKey(name)};
}

Result<SignInResult> Inventory::signIn(const std::string& name, const std::string& password,
                                       const std::string& source, const std::string& device_cookie) {
    const int64_t now = clock_.nowSeconds();
    const std::vector<std::string> keys = signInKeys(name, source, device_cookie, now);
    SignInResult out;
    // Held until the failure is written, so that no other attempt on these
    // keys checks them meanwhile (sign_in_gate.h).
    const SignInGate::Pass pass = sign_in_gate_.enter(keys);
    if (!pass) {
        out.check = SignInCheck::kInFlight;
        out.retry_after = 1;
        return out;
    }
    std::optional<PortalUser> user;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        for (const std::string& key : keys) {
            if (std::optional<SignInThrottle> row = TRY(tx.getThrottle(key)))
                out.retry_after = std::max(out.retry_after, throttle::retryAfter(*row, now));
        }
        if (out.retry_after == 0) user = TRY(tx.getUser(name));
        return okStatus();
    }));
    // Blocked: answered before the password is looked at, so a blocked
    // guesser learns nothing, not even from a right guess.
    if (out.retry_after > 0) {
        out.check = SignInCheck::kThrottled;
        return out;
    }
    if (user) out.known_name = name;
    // An unknown user costs the same hash as a known one (verifyPassword).
    const PasswordCheck check = verifyPassword(password, user ? user->password_hash : "", portal_.password);
    if (check == PasswordCheck::kBusy) {
        out.check = SignInCheck::kBusy;
        out.retry_after = 1;
        return out;
    }
    if (!user || check != PasswordCheck::kMatch || user->disabled) {
        out.check = SignInCheck::kRefused;
        out.reason = !user ? "unknown_user" : user->password_hash.empty()   ? "no_password"
                                            : check != PasswordCheck::kMatch ? "bad_password"
                                                                             : "disabled";
        TRY(recordSignInFailure(keys, source, now, out));
        return out;
    }
    TRY(startSession(*user, keys[1], source, now, out));
    return out;
}

Status Inventory::recordSignInFailure(const std::vector<std::string>& keys, const std::string& source, int64_t now,
                                      SignInResult& out) {
    const Actor anonymous{"unauthenticated", Role::kViewer, source};
    return store_.write([&](StoreTx& tx) -> Status {
        out.blocked.clear();  // a retried transaction starts again
        // Runs that ended are forgotten here, a few at a time: the table
        // holds the keys failing now, not every address that ever failed.
        (void)TRY(tx.purgeThrottles(throttle::runEndedBefore(now, portal_.throttle), 100));
        for (const std::string& key : keys) {
            SignInThrottle row = TRY(tx.getThrottle(key)).value_or(SignInThrottle{key, 0, 0, 0, 0, 0});
            row = throttle::afterFailure(row, now, portal_.throttle);
            TRY(tx.putThrottle(row));
            // Neither key was blocked a moment ago: a block now is new. An
            // unknown name's key names it, and the name may be a password.
            const bool hidden = out.known_name.empty() && key.rfind("user:", 0) == 0;
            if (const int64_t wait = throttle::retryAfter(row, now))
                out.blocked.emplace_back(hidden ? "user:(unknown)" : key, wait);
        }
        auto what = json::newObject();
        what->set("reason", out.reason);
        return audit(tx, anonymous, "failure", "sign_in", out.known_name, "", json::stringify(what));
    });
}

Status Inventory::startSession(PortalUser user, const std::string& name_key, const std::string& source, int64_t now,
                               SignInResult& out) {
    SessionView& view = out.session;
    view.cookie = random_.alnum(kCookieLength);
    view.csrf_token = csrfToken(view.cookie);
    PortalSession session{0,   hasher_.sha256Hex(view.cookie), user.id, now, now, now + portal_.session_max_seconds,
                          source};
    // The password was checked outside any transaction (Argon2 takes a
    // while): an admin may have disabled the user, given it a new password
    // or deleted it meanwhile. The user is read again here, and only its
    // last sign-in is written, so such a change is never undone.
    bool changed = false;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        const std::optional<PortalUser> fresh = TRY(tx.getUser(user.name));
        changed = !fresh || fresh->id != user.id || fresh->disabled || fresh->password_hash != user.password_hash;
        if (changed) return okStatus();
        user = *fresh;
        (void)TRY(tx.purgeSessions(now, now - portal_.session_idle_seconds));
        // A success ends the run of failures against the name, or against
        // the device that stood in for it (never the address's: one good
        // account must not clear another's guessing; nor the name's when a
        // device stood in: the guesser's run on it goes on).
        (void)TRY(tx.deleteThrottle(name_key));
        TRY(tx.insertSession(session));
        user.last_sign_in_at = now;
        TRY(tx.updateUser(user));
        return audit(tx, Actor{sessionActor(user), user.role, source, true}, "sign_in", "session", user.name, "", "");
    }));
    if (changed) {
        out.check = SignInCheck::kRefused;
        out.reason = "changed";
        return okStatus();
    }
    out.check = SignInCheck::kSignedIn;
    out.device_cookie = device_cookie::issue(hasher_, portal_.device_key, user.name, now);
    view.user = user;
    view.expires_at = session.expires_at;
    view.idle_expires_at = std::min(now + portal_.session_idle_seconds, session.expires_at);
    return okStatus();
}

Result<std::optional<SessionView>> Inventory::session(const std::string& cookie) {
    if (!plausibleCookie(cookie)) return std::optional<SessionView>();
    const int64_t now = clock_.nowSeconds();
    std::optional<PortalSession> found;
    std::optional<PortalUser> user;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        found = TRY(tx.findSession(hasher_.sha256Hex(cookie)));
        if (found) user = TRY(tx.getUserById(found->user_id));
        return okStatus();
    }));
    if (!found) return std::optional<SessionView>();
    const bool ended = now >= found->expires_at || now - found->last_seen_at >= portal_.session_idle_seconds;
    if (ended || !user || user->disabled) {
        TRY(store_.write([&](StoreTx& tx) { return tx.deleteSession(found->id); }));
        return std::optional<SessionView>();
    }
    // Seen is stored at most every 1/30 of the idle time (at most a minute):
    // not one write per request, yet idle expiry stays that precise.
    const int64_t precision = std::clamp<int64_t>(portal_.session_idle_seconds / 30, 1, 60);
    if (now - found->last_seen_at >= precision) {
        TRY(store_.write([&](StoreTx& tx) { return tx.sessionSeen(found->id, now); }));
        found->last_seen_at = now;
    }
    SessionView view;
    view.user = *user;
    view.csrf_token = csrfToken(cookie);
    view.expires_at = found->expires_at;
    view.idle_expires_at = std::min(found->last_seen_at + portal_.session_idle_seconds, found->expires_at);
    return std::optional<SessionView>(view);
}

Status Inventory::signOut(const std::string& cookie, const std::string& source) {
    if (!plausibleCookie(cookie)) return okStatus();
    return store_.write([&](StoreTx& tx) -> Status {
        std::optional<PortalSession> found = TRY(tx.findSession(hasher_.sha256Hex(cookie)));
        if (!found) return okStatus();
        TRY(tx.deleteSession(found->id));
        std::optional<PortalUser> user = TRY(tx.getUserById(found->user_id));
        if (!user) return okStatus();
        return audit(tx, Actor{sessionActor(*user), user->role, source, true}, "sign_out", "session", user->name, "",
                     "");
    });
}

}  // namespace prov
