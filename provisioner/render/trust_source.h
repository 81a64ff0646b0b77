#pragma once

// The CA certificate phones are given to trust (PEM, one certificate), as
// the templates render it and `ca.pem` serves it: swapped whole when the
// server certificate is reloaded; null when none is delivered (trust.deliver
// false, or no certificate yet). vendor-templates/README.md, "Trust".

#include <memory>
#include <mutex>
#include <string>

namespace prov {

// The name phones fetch the certificate by, at the provisioning root over
// HTTP, HTTPS and TFTP. No vendor's file pattern matches it.
inline constexpr const char* kTrustFileName = "ca.pem";

class TrustSource {
  public:
    std::shared_ptr<const std::string> current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }
    void replace(std::shared_ptr<const std::string> next) {
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
    }

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const std::string> current_;
};

}  // namespace prov
