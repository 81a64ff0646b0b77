#pragma once

// The phones' front end on Poco's HTTPServer: turns a Poco request into a
// FetchRequest for the pipeline and its FetchResponse back into HTTP. GET,
// HEAD, and PUT for the uploads some phones make. Serves HTTPS, and plain
// HTTP with http.engine=threads; plain HTTP otherwise runs on event loops
// (loop_server.h), which answer the same bytes. Poco runs a thread per
// connection: on 2 cores that caps a port at about 0.6x nginx (bench/http).

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <functional>

#include "provisioner/service/provisioning_service.h"

namespace prov::http {

struct PhoneLimits {
    size_t max_upload_bytes = 1 << 20;
};

// How busy the server is, read by the handlers: Poco runs one thread per
// connection, so when threads run short idle keep-alive connections are
// closed after their answer, and when connections queue up new ones get
// 503 with Retry-After instead of waiting.
class LoadGauge {
public:
    virtual ~LoadGauge() = default;
    virtual bool shedKeepAlive() const = 0;
    virtual bool overloaded() const = 0;
};

// Fills in what the connection proved (HTTPS client certificates).
using PeerIdentityFn = std::function<void(Poco::Net::HTTPServerRequest&, FetchRequest&)>;

class PhoneHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    PhoneHandlerFactory(ProvisioningService& service, Protocol protocol, PhoneLimits limits,
                        const LoadGauge* gauge = nullptr, PeerIdentityFn identity = nullptr)
        : service_(service), protocol_(protocol), limits_(limits), gauge_(gauge), identity_(std::move(identity)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

private:
    ProvisioningService& service_;
    Protocol protocol_;
    PhoneLimits limits_;
    const LoadGauge* gauge_;
    PeerIdentityFn identity_;
};

// The file name asked for in a raw request target ("/0015654aa937.cfg?x=1"),
// or "" when the target is not one plain file at the root: encoded slashes,
// backslashes and NULs, "..", and anything in a folder are refused here.
std::string fileFromTarget(const std::string& target);

}  // namespace prov::http
