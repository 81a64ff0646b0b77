#include "provisioner/inventory/device_cookie.h"

#include <charconv>

namespace prov::device_cookie {

namespace {

// A name is at most 64 characters, a time 20, a MAC 64: anything longer is
// refused before it is hashed.
constexpr size_t kMaxCookie = 160;

// The MAC covers the name and the time with a separator neither may hold
// ('|' is not allowed in a user name), so that no two pairs sign alike.
std::string mac(const Hasher& hasher, const std::string& key, const std::string& name, const std::string& issued) {
    return hasher.hmacSha256Hex(key, "prov_device|" + name + "|" + issued);
}

// Compares every byte whatever the first difference: the time taken tells
// nothing of how much of a forged MAC was right.
bool sameBytes(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

}  // namespace

std::string issue(const Hasher& hasher, const std::string& key, const std::string& name, int64_t now) {
    if (key.empty()) return "";
    const std::string issued = std::to_string(now);
    return name + "." + issued + "." + mac(hasher, key, name, issued);
}

bool vouches(const Hasher& hasher, const std::string& key, const std::string& cookie, const std::string& name,
             int64_t now, int64_t max_age) {
    if (key.empty() || cookie.empty() || cookie.size() > kMaxCookie) return false;
    // A name may hold '.', the time and the MAC do not: split from the right.
    const size_t mac_dot = cookie.rfind('.');
    if (mac_dot == std::string::npos || mac_dot == 0) return false;
    const size_t time_dot = cookie.rfind('.', mac_dot - 1);
    if (time_dot == std::string::npos) return false;
    if (cookie.compare(0, time_dot, name) != 0 || time_dot != name.size()) return false;
    const std::string issued = cookie.substr(time_dot + 1, mac_dot - time_dot - 1);
    int64_t at = 0;
    const auto [end, ec] = std::from_chars(issued.data(), issued.data() + issued.size(), at);
    if (ec != std::errc() || end != issued.data() + issued.size() || issued.empty() || issued[0] == '-') return false;
    if (at > now || now - at > max_age) return false;
    return sameBytes(cookie.substr(mac_dot + 1), mac(hasher, key, name, issued));
}

}  // namespace prov::device_cookie
