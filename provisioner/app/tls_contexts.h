#pragma once

// The server certificate as the TLS front ends take it: loaded (generated on
// first start) from certs.dir, and swapped whole on SIGHUP so new connections
// take the new one while open ones keep theirs.

#include <Poco/Logger.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "provisioner/app/server_config.h"
#include "provisioner/tls/tls_server.h"

namespace prov::app {

class TlsContexts {
  public:
    std::shared_ptr<tls::TlsServerContext> current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }
    void replace(std::shared_ptr<tls::TlsServerContext> next) {
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
    }

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<tls::TlsServerContext> current_;
};

// tls.server_names, or the host name, localhost and every address of this machine.
std::vector<std::string> serverNames(const ServerConfig& config);

// The context for certs.dir/server.crt and server.key, generating a
// self-signed pair for serverNames() when neither exists (logged). Its
// session tickets are `tickets` (the fleet's, app/ticket_keys.h); null:
// keys of this process's own.
Result<std::shared_ptr<tls::TlsServerContext>> loadTls(const ServerConfig& config, Poco::Logger& log,
                                                       std::shared_ptr<tls::SessionTickets> tickets = nullptr);

// The certificate phones are given to trust (trust.deliver, trust.ca_file;
// vendor-templates/README.md, "Trust"): trust.ca_file's one certificate, or
// else the last certificate of certs.dir/server.crt. Null when trust.deliver
// is false or server.crt does not exist yet (only `serve` generates it). A
// bad trust.ca_file or server.crt is an error of one line naming it.
Result<std::shared_ptr<const std::string>> loadTrust(const ServerConfig& config,
                                                     Poco::Logger& log);

}  // namespace prov::app
