#pragma once

// The provisioning_url setting cut into the pieces vendors want: some take the
// whole URL with a trailing '/', some the server without scheme or trailing
// '/' and the protocol in a field of its own (vendor-templates/README.md).

#include <optional>
#include <string>
#include <string_view>

namespace prov {

struct ProvisioningUrl {
    std::string scheme;  // "http", "https", "tftp": lowercase
    std::string host;    // host[:port], as written (with user:password@ when the URL has one)
    std::string path;    // "" or "/prov/phones": no trailing '/', repeated slashes collapsed
};

// nullopt for "" and for anything without "<scheme>://" and a host. The
// setting itself is validated where it is stored (model/settings.cpp).
std::optional<ProvisioningUrl> splitProvisioningUrl(std::string_view url);

}  // namespace prov
