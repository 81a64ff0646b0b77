// Portal sessions: sign-in (throttled, audited), the session behind a
// cookie, sign-out. The cookie is a random id the store keeps only as a
// SHA-256 hash; its CSRF token is an HMAC of it, never stored.

#include <algorithm>
#include <cctype>

#include "provisioner/core/text.h"
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

Result<SignInResult> Inventory::signIn(const std::string& name, const std::string& password,
                                       const std::string& source) {
    const int64_t now = clock_.nowSeconds();
    const std::string keys[] = {throttle::sourceKey(source), throttle::userKey(name)};
    SignInResult out;
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
    // An unknown user costs the same hash as a known one (verifyPassword).
    const bool matches = verifyPassword(password, user ? user->password_hash : "", portal_.password);
    const Actor anonymous{"unauthenticated", Role::kViewer, source};
    if (!user || !matches || user->disabled) {
        out.check = SignInCheck::kRefused;
        out.reason = !user ? "unknown_user" : user->password_hash.empty() ? "no_password"
                     : !matches                                          ? "bad_password"
                                                                         : "disabled";
        TRY(store_.write([&](StoreTx& tx) -> Status {
            out.blocked.clear();  // a retried transaction starts again
            for (const std::string& key : keys) {
                SignInThrottle row = TRY(tx.getThrottle(key)).value_or(SignInThrottle{key, 0, 0, 0, 0, 0});
                row = throttle::afterFailure(row, now, portal_.throttle);
                TRY(tx.putThrottle(row));
                // Neither key was blocked a moment ago: a block now is new.
                if (const int64_t wait = throttle::retryAfter(row, now)) out.blocked.emplace_back(key, wait);
            }
            auto what = json::newObject();
            what->set("reason", out.reason);
            return audit(tx, anonymous, "failure", "sign_in", name, "", json::stringify(what));
        }));
        return out;
    }
    SessionView& view = out.session;
    view.cookie = random_.alnum(kCookieLength);
    view.csrf_token = csrfToken(view.cookie);
    PortalSession session{0,   hasher_.sha256Hex(view.cookie), user->id, now, now, now + portal_.session_max_seconds,
                          source};
    // The password was checked outside any transaction (Argon2 takes a
    // while): an admin may have disabled the user, given it a new password
    // or deleted it meanwhile. The user is read again here, and only its
    // last sign-in is written, so such a change is never undone.
    bool changed = false;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        const std::optional<PortalUser> fresh = TRY(tx.getUser(name));
        changed = !fresh || fresh->id != user->id || fresh->disabled || fresh->password_hash != user->password_hash;
        if (changed) return okStatus();
        user = *fresh;
        (void)TRY(tx.purgeSessions(now, now - portal_.session_idle_seconds));
        // A success ends the run of failures against the name (not the
        // address's: one good account must not clear another's guessing).
        (void)TRY(tx.deleteThrottle(throttle::userKey(name)));
        TRY(tx.insertSession(session));
        user->last_sign_in_at = now;
        TRY(tx.updateUser(*user));
        return audit(tx, Actor{sessionActor(*user), user->role, source, true}, "sign_in", "session", user->name, "",
                     "");
    }));
    if (changed) {
        out.check = SignInCheck::kRefused;
        out.reason = "changed";
        return out;
    }
    out.check = SignInCheck::kSignedIn;
    view.user = *user;
    view.expires_at = session.expires_at;
    view.idle_expires_at = std::min(now + portal_.session_idle_seconds, session.expires_at);
    return out;
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
