#pragma once

// The TFTP front end: a few event loops (core/event_loop.h, the same loop
// and timers as the HTTP port; no thread per transfer), all polling the
// port's one listening socket (no SO_REUSEPORT: no other process can join
// the port), each with one UDP socket per transfer, as RFC 1350's TIDs ask. Every
// RRQ goes through the same provisioning pipeline as HTTP; static files are
// streamed from firmware.dir.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"
#include "provisioner/service/provisioning_service.h"
#include "provisioner/tftp/source_slots.h"
#include "provisioner/tftp/transfer.h"

namespace prov::tftp {

struct ServerOptions {
    std::string bind = "0.0.0.0";
    int port = 6969;
    int loops = 2;
    int max_transfers = 4096;         // in flight, all sources together
    int max_per_source = 512;         // in flight from one address (a NAT of phones)
    size_t max_netascii_bytes = 16 << 20;
    Limits limits;
    // A socket bound already (net::bindSocket), taken over by start()
    // instead of binding bind:port; -1: start() binds.
    int listen_fd = -1;
};

class Server {
public:
    Server(ProvisioningService& service, const Clock& clock, ServerOptions options);
    ~Server();

    // Binds and starts the loops; the bound port is port() afterwards.
    Status start();
    void stop();
    int port() const { return port_; }

private:
    class Loop;
    ProvisioningService& service_;
    const Clock& clock_;
    ServerOptions options_;
    int port_ = 0;
    SourceSlots slots_;
    std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace prov::tftp
