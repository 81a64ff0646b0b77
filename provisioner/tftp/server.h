#pragma once

// The TFTP front end: a few event loops (core/event_loop.h, the same loop
// and timers as the HTTP port; no thread per transfer), all polling the
// port's one listening socket (no SO_REUSEPORT: no other process can join
// the port), each with one UDP socket per transfer, as RFC 1350's TIDs ask. Every
// RRQ goes through the same provisioning pipeline as HTTP; static files are
// read from firmware.dir a block at a time, netascii is converted block by
// block, and nothing on a loop waits on more than one block of a file.
//
// Abuse it is built to take (UDP needs no handshake, so a request's source
// may be forged): a peer that has not ACKed yet gets one packet and holds
// its slot a few seconds; each source has few such slots and more for
// transfers under way; all transfers share a memory budget.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"
#include "provisioner/service/provisioning_service.h"
#include "provisioner/tftp/memory_budget.h"
#include "provisioner/tftp/source_slots.h"
#include "provisioner/tftp/transfer.h"

namespace prov::tftp {

struct ServerOptions {
    std::string bind = "0.0.0.0";
    int port = 6969;
    int loops = 2;
    SlotCaps slots;                         // transfers in flight: see source_slots.h
    uint64_t max_memory_bytes = 64 << 20;   // see memory_budget.h
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
    // Transfers (and requests waiting for their first ACK) under way now, all loops.
    int transfers() const { return slots_.total(); }

private:
    class Loop;
    ProvisioningService& service_;
    const Clock& clock_;
    ServerOptions options_;
    int port_ = 0;
    SourceSlots slots_;
    MemoryBudget memory_;
    std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace prov::tftp
