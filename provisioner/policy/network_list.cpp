#include "provisioner/policy/network_list.h"

#include <arpa/inet.h>

#include <cstring>

namespace prov::policy {

namespace {

// Parses an IPv4 or IPv6 literal into 16 bytes (IPv4 as ::ffff:a.b.c.d).
bool toBytes(const std::string& ip, std::array<uint8_t, 16>& out, bool& v4) {
    in_addr a4{};
    if (inet_pton(AF_INET, ip.c_str(), &a4) == 1) {
        out.fill(0);
        out[10] = out[11] = 0xff;
        std::memcpy(out.data() + 12, &a4, 4);
        v4 = true;
        return true;
    }
    in6_addr a6{};
    if (inet_pton(AF_INET6, ip.c_str(), &a6) == 1) {
        std::memcpy(out.data(), &a6, 16);
        v4 = false;
        return true;
    }
    return false;
}

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t");
    const size_t e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace


Result<NetworkList> NetworkList::parse(const std::string& networks) {
    NetworkList p;
    size_t start = 0;
    while (start <= networks.size()) {
        size_t comma = networks.find(',', start);
        if (comma == std::string::npos) comma = networks.size();
        const std::string item = trim(networks.substr(start, comma - start));
        start = comma + 1;
        if (item.empty()) {
            if (comma == networks.size()) break;
            continue;
        }
        const size_t slash = item.find('/');
        const std::string ip = item.substr(0, slash);
        Network n;
        bool v4 = false;
        if (!toBytes(ip, n.addr, v4)) return Error::invalid("'" + item + "' is not a network such as 10.0.0.0/8");
        const int max = v4 ? 32 : 128;
        int len = max;
        if (slash != std::string::npos) {
            const std::string l = item.substr(slash + 1);
            if (l.empty() || l.size() > 3 || l.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(l) > max)
                return Error::invalid("'" + item + "' has a bad prefix length");
            len = std::stoi(l);
        }
        n.prefix = v4 ? 96 + len : len;
        n.text = item;
        n.v4 = v4;
        p.networks_.push_back(n);
        if (comma == networks.size()) break;
    }
    return p;
}

std::vector<std::string> NetworkList::warnings() const {
    // Ranges that never leave a site: private, loopback, link-local, CGNAT, ULA.
    static const Result<NetworkList> kLocal =
        parse("10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 127.0.0.0/8, 169.254.0.0/16, 100.64.0.0/10, "
              "::1/128, fc00::/7, fe80::/10");
    std::vector<std::string> out;
    for (const Network& n : networks_) {
        const bool wide = n.v4 ? n.prefix < 96 + 16 : n.prefix < 48;
        // The network lies inside a local range when its first address does
        // and it is no wider than that range.
        bool local = false;
        for (const Network& l : kLocal.value().networks_) {
            if (n.prefix < l.prefix) continue;
            NetworkList one;
            one.networks_.push_back(l);
            local = local || one.containsBytes(n.addr);
        }
        if (wide)
            out.push_back(n.text + " is wider than a /16" + std::string(n.v4 ? "" : " (/48 for IPv6)") +
                          ": every host in it may fetch any phone's SIP password");
        if (!local) out.push_back(n.text + " holds public addresses: hosts outside the site may fetch SIP passwords");
    }
    return out;
}

bool NetworkList::contains(const std::string& ip) const {
    std::array<uint8_t, 16> a{};
    bool v4 = false;
    if (!toBytes(ip, a, v4)) return false;
    return containsBytes(a);
}

bool NetworkList::containsBytes(const std::array<uint8_t, 16>& a) const {
    for (const Network& n : networks_) {
        int bits = n.prefix;
        bool match = true;
        for (size_t i = 0; i < 16 && bits > 0 && match; ++i, bits -= 8) {
            const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
            match = (a[i] & mask) == (n.addr[i] & mask);
        }
        if (match) return true;
    }
    return false;
}

}  // namespace prov::policy
