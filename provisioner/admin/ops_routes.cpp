#include "provisioner/admin/ops_routes.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "provisioner/core/metrics_text.h"

namespace prov::admin {

namespace {

constexpr const char* kText = "text/plain; charset=utf-8";

OpsAnswer plain(int status, std::string body) {
    return OpsAnswer{status, kText, std::move(body), ""};
}

class OpsHandler final : public Poco::Net::HTTPRequestHandler {
  public:
    explicit OpsHandler(const OpsSources& sources) : sources_(sources) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        const std::string& uri = request.getURI();
        const OpsAnswer a = opsAnswer(sources_, request.getMethod(), uri.substr(0, uri.find('?')));
        response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
        response.setContentType(a.content_type);
        response.set("Cache-Control", "no-store");
        response.set("X-Content-Type-Options", "nosniff");
        if (!a.allow.empty()) response.set("Allow", a.allow);
        // Probes come back every few seconds; a kept-alive connection would
        // hold an admin thread in between.
        response.setKeepAlive(false);
        response.setContentLength(static_cast<std::streamsize>(a.body.size()));
        if (request.getMethod() == "HEAD") {
            response.send();
            return;
        }
        response.send().write(a.body.data(), static_cast<std::streamsize>(a.body.size()));
    }

  private:
    const OpsSources& sources_;
};

}  // namespace

bool isOpsPath(const std::string& raw_path) {
    return raw_path == "/metrics" || raw_path == "/healthz" || raw_path == "/readyz";
}

OpsAnswer opsAnswer(const OpsSources& sources, const std::string& method,
                    const std::string& raw_path) {
    if (method != "GET" && method != "HEAD") {
        OpsAnswer a = plain(405, raw_path + " answers GET and HEAD only\n");
        a.allow = "GET, HEAD";
        return a;
    }
    if (raw_path == "/healthz") return plain(200, "ok\n");
    if (raw_path == "/readyz" && sources.readiness) {
        const Readiness r = sources.readiness();
        return plain(r.ready ? 200 : 503, r.report);
    }
    if (raw_path == "/metrics" && sources.metrics)
        return OpsAnswer{200, metrics::kContentType, sources.metrics(), ""};
    return plain(404, "no such path: " + raw_path + "\n");
}

Poco::Net::HTTPRequestHandler* newOpsHandler(const OpsSources& sources) {
    return new OpsHandler(sources);
}

}  // namespace prov::admin
