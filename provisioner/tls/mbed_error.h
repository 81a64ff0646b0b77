#pragma once

#include <mbedtls/error.h>

#include <string>

namespace prov::tls {

// mbedTLS's own text for an error code.
inline std::string mbedError(int rc) {
    char buf[160];
    mbedtls_strerror(rc, buf, sizeof buf);
    return buf;
}

}  // namespace prov::tls
