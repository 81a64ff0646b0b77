#include "provisioner/fetch/fetch.h"

namespace prov {

std::string_view toString(Protocol p) {
    switch (p) {
        case Protocol::kHttp: return "http";
        case Protocol::kHttps: return "https";
        case Protocol::kTftp: return "tftp";
    }
    return "";
}

bool isSafeFileName(const std::string& file) {
    if (file.empty() || file.size() > 255 || file[0] == '.') return false;
    for (char c : file) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F || c == '/' || c == '\\' || c == '%' || c == '"' || c == '<' || c == '>')
            return false;
    }
    return true;
}

}  // namespace prov
