#pragma once

// A list of IP networks (provisioning.allow_networks): the networks an admin
// trusts with secrets without a device proof. Empty by default.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "provisioner/core/result.h"

namespace prov::policy {

class NetworkList {
public:
    // "127.0.0.0/8, 10.0.0.0/8, ::1/128"; an address without /len is one host.
    static Result<NetworkList> parse(const std::string& networks);

    // What an admin should hear at start: a network wider than a /16 (/48),
    // or one holding public addresses.
    std::vector<std::string> warnings() const;
    bool empty() const { return networks_.empty(); }

    // True when `ip` (an IPv4 or IPv6 literal) is in one of the networks.
    bool contains(const std::string& ip) const;

private:
    struct Network {
        std::array<uint8_t, 16> addr{};  // IPv4 stored as IPv4-mapped IPv6
        int prefix = 0;                  // over the 128 bits
        std::string text;                // as the admin wrote it
        bool v4 = false;
    };
    bool containsBytes(const std::array<uint8_t, 16>& addr) const;
    std::vector<Network> networks_;
};

}  // namespace prov::policy
