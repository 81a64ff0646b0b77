#pragma once

// The portal's device cookie (the OWASP Authentication Cheat Sheet's "device
// cookies"): after a successful sign-in the browser is given
// "<name>.<issued>.<mac>", where <mac> is the HMAC-SHA256, under a key only
// the server has, of the name and the second it was issued. A later sign-in
// for that same name from that browser shows it, and is then not held by a
// block on the name, which anyone may cause by guessing at it; the cookie
// names its user, so it vouches for no other name. sessions.cpp says how
// its failures are counted instead.
//
//   std::string c = device_cookie::issue(hasher, key, "ann", now);
//   device_cookie::vouches(hasher, key, c, "ann", now + 60, 180 * 86400);  // true
//   device_cookie::vouches(hasher, key, c, "bob", now + 60, 180 * 86400);  // false

#include <cstdint>
#include <string>

#include "provisioner/core/random_source.h"

namespace prov::device_cookie {

// A cookie for `name` issued at `now`; "" when `key` is "" (none configured).
std::string issue(const Hasher& hasher, const std::string& key, const std::string& name, int64_t now);

// Whether `cookie` was issued under `key` for `name`, at most `max_age`
// seconds before `now` (and not after it). Never with an empty key.
bool vouches(const Hasher& hasher, const std::string& key, const std::string& cookie, const std::string& name,
             int64_t now, int64_t max_age);

}  // namespace prov::device_cookie
