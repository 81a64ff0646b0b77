#include "provisioner/render/provisioning_url.h"

#include <cctype>

#include "provisioner/core/text.h"

namespace prov {

std::optional<ProvisioningUrl> splitProvisioningUrl(std::string_view url) {
    const size_t sep = url.find("://");
    if (sep == std::string_view::npos || sep == 0) return std::nullopt;
    ProvisioningUrl out;
    for (char c : url.substr(0, sep)) out.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    const std::string_view rest = url.substr(sep + 3);
    const size_t slash = rest.find('/');
    out.host = std::string(rest.substr(0, slash));
    if (out.host.empty()) return std::nullopt;
    // Phones append "/<file>" or "<file>" themselves: the path is kept without
    // a trailing '/', and "//" inside it would reach our server as "//".
    if (slash != std::string_view::npos) out.path = text::collapseSlashes(rest.substr(slash));
    while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
    return out;
}

}  // namespace prov
