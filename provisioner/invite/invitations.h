#pragma once

// Softphone invitations (issue 15): an admin sends the user of an extension
// whose phone_make is a softphone vendor an e-mail with a one-time link to
// a page on the phones' HTTPS port. GET shows the download links and a
// button; only the button's POST (mail scanners follow links with GET)
// shows the account: username, password, SIP server and a QR code.
//
// The token is 32 random bytes (base64url), made when the e-mail is
// written and stored only as its SHA-256. A new invitation revokes the
// extension's older ones. Revealed once; expired, revoked, revealed or
// unknown tokens all get the same refusal page. The views and the reveal of
// a live token are audited; a refusal is a line of the security log
// (event=invite_refused, rate-limited, docs/security-log.md) and writes
// nothing: a malformed token or a client over its per-address limit
// (PageLimiter) is refused without touching the store. Nothing of a token or
// secret is logged.

#include <functional>
#include <string>
#include <vector>

#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/core/clock.h"
#include "provisioner/core/random_source.h"
#include "provisioner/core/security_log.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/invite/page_limiter.h"
#include "provisioner/mail/message.h"
#include "provisioner/store/store.h"

namespace prov::invite {

struct InvitationOptions {
    std::string base_url;  // "https://phones.example.com:8443"; "" = invitations refused
    int64_t valid_seconds = 7 * 86400;
    std::string from;                     // smtp.from; "" (or no relay) = invitations refused
    bool relay = false;                   // smtp.host is set
    SecurityLog* security_log = nullptr;  // the pages' refusals; none: not logged
    // The pages' limit per client address (PageLimiter).
    int64_t pages_per_minute = 10;
    int64_t pages_burst = 20;
};

// A page on the phones' HTTPS port.
struct PageResponse {
    int status = 200;
    std::string body;  // HTML
};

// A fresh token: 32 random bytes, base64url without padding (43 characters).
using TokenSource = std::function<std::string()>;

// base64url (RFC 4648 section 5) without padding.
std::string base64Url(const unsigned char* data, size_t size);

class Invitations {
  public:
    Invitations(Store& store, const Clock& clock, const Hasher& hasher, const ModelCatalog& models,
                TokenSource tokens, InvitationOptions options);

    // Called after an e-mail is queued (the outbox wakes).
    void setQueuedListener(std::function<void()> listener) { on_queued_ = std::move(listener); }

    // Queues an invitation of `extension` to `email` ("" = its
    // voicemail_email), revoking the older ones; audited. 400 naming
    // `email` without an address, 409 (not_softphone) when its phone_make is
    // no softphone vendor, 409 (mail_not_configured) without a relay or base URL.
    Result<Invitation> create(const std::string& extension, const std::string& email,
                              const Actor& actor);
    // Newest first (at most 100); 404 for an unknown extension.
    Result<std::vector<Invitation>> list(const std::string& extension);

    // The outbox's Composer: writes the e-mail of `row`, with a new token
    // whose hash replaces the invitation's (the link of an earlier, failed
    // try stops working). An error when the invitation is revoked or expired.
    Result<mail::Message> compose(StoreTx& tx, const OutboxRow& row);

    // GET or POST /invite/<token> from `source` (the client's address).
    PageResponse page(const std::string& method, const std::string& token,
                      const std::string& source);

  private:
    // The live invitation `token` names (unexpired, unrevoked, unrevealed,
    // extension still a softphone one) with its extension, or nullopt.
    Result<std::optional<std::pair<Invitation, Extension>>> live(StoreTx& tx,
                                                                 const std::string& token);
    // The page of a live token (audited), or nullopt when it is not live.
    Result<std::optional<PageResponse>> livePage(StoreTx& tx, bool reveal, const std::string& token,
                                                 const std::string& source);
    void refused(const std::string& method, const std::string& source, const char* reason);

    Store& store_;
    const Clock& clock_;
    const Hasher& hasher_;
    const ModelCatalog& models_;
    TokenSource tokens_;
    InvitationOptions options_;
    std::function<void()> on_queued_;
    PageLimiter limiter_;
};

}  // namespace prov::invite
