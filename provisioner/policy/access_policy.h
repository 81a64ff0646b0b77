#pragma once

// Who may fetch files that carry secrets. Today: source networks
// (provisioning.allow_networks); device proofs come with HTTPS.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "provisioner/core/result.h"

namespace prov {

class AccessPolicy {
public:
    // "127.0.0.0/8, 10.0.0.0/8, ::1/128"; an address without /len is one host.
    static Result<AccessPolicy> parse(const std::string& networks);
    static std::string defaultNetworks();

    bool allowsSecrets(const std::string& peer_ip) const;

private:
    struct Network {
        std::array<uint8_t, 16> addr{};  // IPv4 stored as IPv4-mapped IPv6
        int prefix = 0;                  // over the 128 bits
    };
    std::vector<Network> networks_;
};

}  // namespace prov
