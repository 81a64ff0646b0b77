#pragma once

// Session tickets that every node of a fleet can open, given to mbedTLS as
// its ticket callbacks:
//
//   SessionTickets tickets(std::move(keys), clock, 86400);
//   TRY(tickets.refresh());   // at start, then every second (off the phones' loops)
//   mbedtls_ssl_conf_session_tickets_cb(&conf, SessionTickets::write, SessionTickets::parse, &tickets);
//
// mbedTLS 2.28's own ticket module makes its keys from the node's random
// generator and cannot be given any, so a phone's ticket would only open on
// the node that made it. Here the key of each rotation period (a period is
// `rotation_seconds` long, counted from the Unix epoch) is derived from a
// secret that a TicketKeySource holds for that period: the store's
// server_keys, where the first node to ask makes it. Every node derives the
// same key for the same period, so a phone resumes wherever it lands.
//
// A ticket is sealed with the current period's key and opened with the key
// its header names when that is the current period's or the one before: a
// ticket stays good for between one and two periods, and a session (its
// master secret) lives at most two periods from its full handshake, however
// often it is resumed. The keys are only ever read from memory on a
// handshake: refresh() loads those of the previous, current and next period
// (the next one ahead of time, so a rollover never waits on the store) and
// forgets older ones, wiping them.
//
// Ticket layout: period (8 bytes, big-endian) | nonce (12) | length (2) |
// AES-256-GCM ciphertext of mbedtls_ssl_session_save (length) | tag (16);
// the first 22 bytes are the GCM additional data. The nonce is random: a
// key is shared by every node, so a counter could repeat across them.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/ssl.h>

#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"

namespace prov::tls {

class TicketKeySource {
public:
    virtual ~TicketKeySource() = default;
    // The secret of rotation period `period`: the same for every caller, made
    // by the first. High-entropy text (it is hashed into the key). An error
    // when it cannot be had now (the store is unreachable).
    virtual Result<std::string> secret(int64_t period) = 0;
    // The secrets of periods before `period` are no longer needed.
    virtual Status forgetBefore(int64_t period) = 0;
};

class SessionTickets {
public:
    // rotation_seconds: at least 60.
    SessionTickets(std::unique_ptr<TicketKeySource> keys, const Clock& clock, int64_t rotation_seconds);
    ~SessionTickets();
    SessionTickets(const SessionTickets&) = delete;
    SessionTickets& operator=(const SessionTickets&) = delete;

    // Loads what is missing of the previous, current and next period's keys
    // and wipes older ones. Reaches the source only when one is missing (at
    // start and once a period); an error names what could not be loaded,
    // and the keys that could be are used.
    Status refresh();

    // mbedTLS's f_ticket_write: 0, or an mbedTLS error (no ticket is sent).
    static int write(void* tickets, const mbedtls_ssl_session* session, unsigned char* start,
                     const unsigned char* end, size_t* length, uint32_t* lifetime);
    // mbedTLS's f_ticket_parse: 0 with `session` filled, or an mbedTLS error
    // (a full handshake follows).
    static int parse(void* tickets, mbedtls_ssl_session* session, unsigned char* buffer, size_t length);

    int64_t rotationSeconds() const { return rotation_seconds_; }
    int64_t currentPeriod() const;

private:
    struct Key;
    int seal(const mbedtls_ssl_session& session, unsigned char* start, const unsigned char* end, size_t& length);
    int open(mbedtls_ssl_session& session, unsigned char* buffer, size_t length);

    std::unique_ptr<TicketKeySource> source_;
    const Clock& clock_;
    int64_t rotation_seconds_;
    std::mutex mutex_;  // the keys (a GCM context is not shared between threads) and the generator
    std::map<int64_t, std::unique_ptr<Key>> keys_;  // by period
    mbedtls_entropy_context entropy_;
    mbedtls_ctr_drbg_context drbg_;
    bool seeded_ = false;
};

}  // namespace prov::tls
