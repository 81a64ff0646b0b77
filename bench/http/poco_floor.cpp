// The ceiling of Poco's HTTPServer on this machine: the same server settings
// as the phone front end, answering every request with a fixed body and no
// work at all. bench/http/run.sh measures it beside the provisioner and nginx
// so the ratio says how much of the gap is the framework and how much ours.
//
//   poco_floor PORT BODY_FILE

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace {

std::string g_body;

class Fixed final : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override {
        response.setContentType("text/plain");
        response.setContentLength(static_cast<std::streamsize>(g_body.size()));
        response.send() << g_body;
    }
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Fixed();
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: poco_floor PORT BODY_FILE\n";
        return 2;
    }
    std::ifstream in(argv[2], std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    g_body = ss.str();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    Poco::ThreadPool pool(2, 256);
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(std::stoi(argv[1]))), 256);
    Poco::AutoPtr<Poco::Net::HTTPServerParams> params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(256);
    params->setMaxQueued(1024);
    params->setKeepAliveTimeout(Poco::Timespan(2, 0));
    params->setMaxKeepAliveRequests(100);
    Poco::Net::HTTPServer server(new Factory(), pool, socket, params);
    server.start();
    int sig = 0;
    sigwait(&set, &sig);
    server.stopAll(true);
    return 0;
}
