#pragma once

// Who may fetch what: every access decision on a phone's fetch, in one pure
// function. It takes what it decides on as plain values (the peer, the file
// asked for, the proofs the request carried) and reads no store, clock or
// socket, so the service gathers the inputs and the rules stay here, tested
// as a table (tests/unit/policy/authorize_test.cpp).
//
//   policy::Decision d = policy::authorize(config, {.peer_ip = "10.0.0.5",
//                                                   .kind = policy::FileKind::kDevice,
//                                                   .mac = "0015654aa937", .secrets = true});
//   // d.verdict == Verdict::kAllow, d.auth == AuthMethod::kNetwork
//
// The rules, in order:
//  1. A phone that proved its MAC (a verified client certificate) fetches only
//     its own files: a file of another MAC is forbidden.
//  2. A file without secrets (common files, device files whose route carries
//     none) is allowed to anyone.
//  3. A device file with secrets, and an upload, need a proof of its MAC, in
//     the order of design.md: a client certificate for that MAC; (unless
//     secrets_require_client_cert) the device's own digest credentials; a
//     staging window covering the device (the service has checked it is open,
//     has room and is not used up); a peer on an allowed network. Nothing
//     else is allowed: the refusal is kChallenge where the phone could answer
//     with credentials (HTTP and HTTPS), kDeny elsewhere.

#include <string>
#include <string_view>

#include "provisioner/policy/network_list.h"

namespace prov::policy {

// The options an admin sets; read once at start.
struct Config {
    NetworkList allow_networks;                // provisioning.allow_networks
    bool secrets_require_client_cert = false;  // policy.secrets_require_client_cert
};

// What a file is, as far as access goes (a vendor route's kind).
enum class FileKind {
    kCommon,  // the same bytes for every phone of a vendor or model
    kDevice,  // rendered for the one device whose MAC is in its name
    kUpload,  // written by the phone (logs, contacts), never served
};

struct Request {
    std::string_view peer_ip;
    // The file asked for.
    FileKind kind = FileKind::kCommon;
    std::string_view mac;  // canonical MAC in its name; empty for common files
    bool secrets = false;  // its route carries SIP secrets
    bool can_challenge = false;  // HTTP or HTTPS: a 401 can ask for credentials
    // Proofs the request carried. A verified client certificate, and the MAC
    // it proved (canonical; empty when its subject names none).
    bool client_cert = false;
    std::string_view cert_mac;
    // Digest (or Basic over HTTPS) credentials valid for `mac`, checked by the
    // service against the device's own.
    bool digest = false;
    // An open staging window covers the device and lets it in now.
    bool staging_window = false;
};

enum class Verdict {
    kAllow,
    // Not allowed, answered exactly as an unknown file is (the not-found
    // equivalent): a sweep learns nothing from it. The event says "denied".
    kDeny,
    // A phone that proved who it is asked for another phone's file; it may
    // be told so (HTTP 403).
    kForbidden,
    // Not allowed; ask for credentials (HTTP 401 with a Digest challenge).
    // Answered alike for every MAC-shaped name, known or not.
    kChallenge,
};

// How the request was authorised; kNone for a refusal (a forbidden request:
// the certificate it carried).
enum class AuthMethod { kNone, kNetwork, kClientCert, kDigest, kStagingWindow };

struct Decision {
    Verdict verdict = Verdict::kDeny;
    AuthMethod auth = AuthMethod::kNone;
    std::string reason;  // why not, for the log line; never shown to the phone
};

Decision authorize(const Config& config, const Request& request);

// "none", "network", "client_cert", "digest", "staging_window": the events' auth column.
std::string_view toString(AuthMethod auth);

}  // namespace prov::policy
