#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include "provisioner/core/text.h"
#include "provisioner/http/request_head.h"

namespace prov::http {

std::string fileFromTarget(const std::string& target) {
    // "//name" is "/name": the slashes are collapsed before anything is
    // decoded, so what an encoded character hides is checked as before.
    const std::string path = text::collapseSlashes(std::string_view(target).substr(0, target.find('?')));
    if (path.empty() || path[0] != '/') return "";
    const std::string lower = Poco::toLower(path);
    for (const char* bad : {"%2f", "%5c", "%00", "\\", "%25"}) {
        if (lower.find(bad) != std::string::npos) return "";
    }
    std::string decoded;
    try {
        Poco::URI::decode(path.substr(1), decoded);
    } catch (const Poco::Exception&) {
        return "";
    }
    if (decoded.find('/') != std::string::npos || decoded.find('\0') != std::string::npos) return "";
    if (decoded == "." || decoded == ".." || decoded.find("..") != std::string::npos) return "";
    return decoded;
}

}  // namespace prov::http
