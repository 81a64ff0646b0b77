#include "provisioner/http/phone_handler.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include "provisioner/http/status_mapping.h"

namespace prov::http {

namespace {

using Poco::Net::HTTPRequest;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

class OverloadHandler final : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(HTTPServerRequest&, HTTPServerResponse& response) override {
        static const std::string kBody = "Service Unavailable\n";
        response.setKeepAlive(false);
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
        response.set("Retry-After", "5");
        response.setContentType("text/plain");
        response.setContentLength(static_cast<std::streamsize>(kBody.size()));
        response.send() << kBody;
    }
};

class PhoneHandler final : public Poco::Net::HTTPRequestHandler {
public:
    PhoneHandler(ProvisioningService& service, Protocol protocol, PhoneLimits limits, const LoadGauge* gauge,
                 const PeerIdentityFn& identity)
        : service_(service), protocol_(protocol), limits_(limits), gauge_(gauge), identity_(identity) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        if (gauge_ && gauge_->shedKeepAlive()) response.setKeepAlive(false);
        FetchRequest fetch;
        fetch.protocol = protocol_;
        fetch.peer_ip = request.clientAddress().host().toString();
        fetch.user_agent = request.get("User-Agent", "");
        fetch.if_none_match = request.get("If-None-Match", "");
        if (identity_) identity_(request, fetch);
        const std::string& method = request.getMethod();
        if (method == HTTPRequest::HTTP_GET) {
            fetch.method = Method::kGet;
        } else if (method == HTTPRequest::HTTP_HEAD) {
            fetch.method = Method::kHead;
        } else if (method == HTTPRequest::HTTP_PUT) {
            fetch.method = Method::kPut;
        } else {
            response.set("Allow", "GET, HEAD, PUT");
            refuse(response, Outcome::kMethodNotAllowed, false);
            return;
        }
        fetch.file = fileFromTarget(request.getURI());
        if (fetch.method == Method::kPut) {
            if (!readBody(request, fetch.body)) {
                refuse(response, Outcome::kTooLarge, false);
                return;
            }
        }
        auto [r, event] = service_.fetch(fetch);
        service_.record(std::move(event));
        if (r.outcome == Outcome::kServed || r.outcome == Outcome::kNotModified) {
            serve(request, response, r);
        } else {
            refuse(response, r.outcome, true);
        }
    }

private:
    bool readBody(HTTPServerRequest& request, std::string& body) {
        if (request.hasContentLength() && request.getContentLength64() > static_cast<int64_t>(limits_.max_upload_bytes))
            return false;
        if (!request.hasContentLength() && !request.getChunkedTransferEncoding()) return true;
        std::istream& in = request.stream();
        char buf[16384];
        while (in) {
            in.read(buf, sizeof buf);
            body.append(buf, static_cast<size_t>(in.gcount()));
            if (body.size() > limits_.max_upload_bytes) return false;
        }
        return true;
    }

    void serve(HTTPServerRequest& request, HTTPServerResponse& response, const FetchResponse& r) {
        if (!r.etag.empty()) response.set("ETag", r.etag);
        response.set("Cache-Control", "no-cache");
        if (r.outcome == Outcome::kNotModified) {
            response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
            response.setContentLength(0);
            response.send();
            return;
        }
        if (!r.file_path.empty()) {
            try {
                response.sendFile(r.file_path, r.content_type);  // HEAD: headers only
            } catch (const Poco::Exception&) {
                if (!response.sent()) refuse(response, Outcome::kNotFound, true);
            }
            return;
        }
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
        response.setContentType(r.content_type);
        response.setContentLength(static_cast<std::streamsize>(r.body.size()));
        std::ostream& out = response.send();  // HEAD: Poco sends the header only
        if (request.getMethod() != HTTPRequest::HTTP_HEAD) out.write(r.body.data(), static_cast<std::streamsize>(r.body.size()));
    }

    void refuse(HTTPServerResponse& response, Outcome outcome, bool body_read) {
        if (!body_read) response.setKeepAlive(false);
        const std::string& body = refusalBody(outcome);
        response.setStatusAndReason(httpStatus(outcome));
        if (body.empty()) {
            response.setContentLength(0);
            response.send();
            return;
        }
        response.setContentType("text/plain");
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send() << body;
    }

    ProvisioningService& service_;
    Protocol protocol_;
    PhoneLimits limits_;
    const LoadGauge* gauge_;
    const PeerIdentityFn& identity_;
};

}  // namespace

std::string fileFromTarget(const std::string& target) {
    std::string path = target.substr(0, target.find('?'));
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

Poco::Net::HTTPRequestHandler* PhoneHandlerFactory::createRequestHandler(const HTTPServerRequest&) {
    if (gauge_ && gauge_->overloaded()) return new OverloadHandler();
    return new PhoneHandler(service_, protocol_, limits_, gauge_, identity_);
}

}  // namespace prov::http
