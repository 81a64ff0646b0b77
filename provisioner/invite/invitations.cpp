#include "provisioner/invite/invitations.h"

#include "provisioner/core/text.h"
#include "provisioner/core/time_format.h"
#include "provisioner/invite/html.h"
#include "provisioner/model/settings.h"

namespace prov::invite {

namespace {

constexpr size_t kTokenLength = 43;  // 32 bytes in base64url without padding

bool tokenShaped(const std::string& token) {
    if (token.size() != kTokenLength) return false;
    for (char c : token) {
        if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    }
    return true;
}

std::string jsonString(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out.push_back(c);
    }
    return out + "\"";
}

Status audit(StoreTx& tx, const std::string& actor, const char* action, const std::string& id,
             const std::string& after, const std::string& source) {
    AuditEntry entry{0, 0, actor, action, "invitation", id, "", after, source};
    return tx.insertAudit(entry);
}

}  // namespace

std::string base64Url(const unsigned char* data, size_t size) {
    std::string b = mail::base64(std::string_view(reinterpret_cast<const char*>(data), size));
    while (!b.empty() && b.back() == '=') b.pop_back();
    for (char& c : b) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return b;
}

Invitations::Invitations(Store& store, const Clock& clock, const Hasher& hasher,
                         const ModelCatalog& models, TokenSource tokens, InvitationOptions options)
    : store_(store),
      clock_(clock),
      hasher_(hasher),
      models_(models),
      tokens_(std::move(tokens)),
      options_(std::move(options)),
      limiter_(options_.pages_per_minute, options_.pages_burst) {}

Result<Invitation> Invitations::create(const std::string& extension, const std::string& email,
                                       const Actor& actor) {
    if (!options_.relay || options_.base_url.empty() || options_.from.empty())
        return Error::conflict(
            "mail_not_configured",
            "invitations need smtp.host, smtp.from and invitations.base_url in the configuration");
    Invitation inv;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        const std::optional<Extension> e = TRY(tx.getExtension(extension));
        if (!e) return Error::notFound("no extension " + extension);
        if (!models_.isSoftphone(e->phone_make)) {
            Error err = Error::conflict("not_softphone",
                                        "extension " + extension + "'s phone_make (" +
                                            (e->phone_make.empty() ? "none" : e->phone_make) +
                                            ") is not a softphone: invitations are for softphones");
            err.fields["phone_make"] = "must be a softphone vendor's";
            return err;
        }
        const std::string to = email.empty() ? e->voicemail_email : email;
        if (to.empty())
            return Error::invalid(
                "no e-mail address",
                {{"email", "is required: extension " + extension + " has no voicemail_email"}});
        if (!text::isEmail(to) || !mail::isPlainAddress(to))
            return Error::invalid(
                "not an e-mail address",
                {{"email", "must be an e-mail address such as alice@example.com"}});
        const int64_t now = clock_.nowSeconds();
        inv.extension = extension;
        inv.extension_id = e->id;
        inv.email = to;
        inv.created_at = now;
        inv.expires_at = now + options_.valid_seconds;
        inv.created_by = actor.name;
        TRY(tx.insertInvitation(inv));
        TRY(tx.revokeInvitations(extension, inv.id));
        inv.mail.ref_id = inv.id;
        inv.mail.recipient = to;
        inv.mail.next_try_at = now;
        TRY(tx.insertOutbox(inv.mail));
        AuditEntry entry{0,
                         0,
                         actor.name,
                         "create",
                         "invitation",
                         std::to_string(inv.id),
                         "",
                         "{\"extension\":" + jsonString(extension) +
                             ",\"email\":" + jsonString(to) +
                             ",\"expires_at\":" + jsonString(formatUtc(inv.expires_at)) + "}",
                         actor.source};
        return tx.insertAudit(entry);
    }));
    if (on_queued_) on_queued_();
    return inv;
}

Result<std::vector<Invitation>> Invitations::list(const std::string& extension) {
    std::vector<Invitation> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        if (!TRY(tx.getExtension(extension))) return Error::notFound("no extension " + extension);
        out = TRY(tx.listInvitations(extension, 100));
        return okStatus();
    }));
    return out;
}

Result<mail::Message> Invitations::compose(StoreTx& tx, const OutboxRow& row) {
    const std::optional<Invitation> inv = TRY(tx.getInvitation(row.ref_id));
    if (!inv) return Error::notFound("the invitation is gone");
    if (inv->revoked) return Error::conflict("revoked", "not sent: a newer invitation replaced it");
    if (inv->expires_at <= clock_.nowSeconds())
        return Error::conflict("expired", "not sent: it expired first");
    const std::optional<Extension> e = TRY(tx.getExtension(inv->extension));
    if (!e || (inv->extension_id != 0 && inv->extension_id != e->id))
        return Error::conflict("extension_deleted", "not sent: the extension was deleted");
    if (!models_.isSoftphone(e->phone_make))
        return Error::conflict("not_softphone",
                               "not sent: the extension is no longer a softphone one");
    const std::string token = tokens_();
    TRY(tx.setInvitationToken(inv->id, hasher_.sha256Hex(token)));
    const std::string app = models_.findMake(e->phone_make);
    const MailContent content =
        invitationMail(app, e->extension, options_.base_url + "/invite/" + token,
                       models_.downloads(e->phone_make), formatUtc(inv->expires_at));
    mail::Message m;
    m.from = options_.from;
    m.to = inv->email;
    m.subject = content.subject;
    m.text = content.text;
    m.html = content.html;
    m.date = clock_.nowSeconds();
    // Unique per try, unrelated to the token.
    m.boundary = "=_prov_" + std::to_string(row.id) + "_" + std::to_string(row.tries + 1) + "_" +
                 hasher_.sha256Hex(token + "boundary").substr(0, 16);
    return m;
}

Result<std::optional<std::pair<Invitation, Extension>>> Invitations::live(
    StoreTx& tx, const std::string& token) {
    using Found = std::optional<std::pair<Invitation, Extension>>;
    if (!tokenShaped(token)) return Found();
    std::optional<Invitation> inv = TRY(tx.invitationByToken(hasher_.sha256Hex(token)));
    if (!inv || inv->revoked || inv->revealed_at != 0 || inv->expires_at <= clock_.nowSeconds())
        return Found();
    std::optional<Extension> e = TRY(tx.getExtension(inv->extension));
    // Another row of the same number is another extension: not this link's.
    if (!e || (inv->extension_id != 0 && inv->extension_id != e->id)) return Found();
    if (!models_.isSoftphone(e->phone_make)) return Found();
    return Found(std::make_pair(std::move(*inv), std::move(*e)));
}

void Invitations::refused(const std::string& method, const std::string& source,
                          const char* reason) {
    SecurityLog& log = options_.security_log ? *options_.security_log : SecurityLog::discard();
    SecurityEvent line("invite_refused", source);
    line.word("method", method).word("reason", reason);
    log.refusal(LogPriority::kInformation, line);
}

Result<std::optional<PageResponse>> Invitations::livePage(StoreTx& tx, bool reveal,
                                                          const std::string& token,
                                                          const std::string& source) {
    using Answer = std::optional<PageResponse>;
    auto found = TRY(live(tx, token));
    if (!found) return Answer();
    const Invitation& inv = found->first;
    const Extension& e = found->second;
    const std::string app = models_.findMake(e.phone_make);
    const std::string id = std::to_string(inv.id);
    if (!reveal) {
        TRY(audit(tx, "invitee", "view", id, "", source));
        return Answer(
            PageResponse{200, landingPage(app, e.extension, models_.downloads(e.phone_make))});
    }
    // Another request revealed it between the read and this write.
    if (!TRY(tx.revealInvitation(inv.id, clock_.nowSeconds()))) return Answer();
    SettingsMap settings = defaultSettings();
    for (auto& [k, v] : TRY(tx.getSettings(""))) settings[k] = v;
    Account a;
    a.app = app;
    a.username = e.extension;
    a.password = e.secret;
    a.server = settings["sip_server"];
    a.port = settings["sip_port"];
    a.transport = settings["sip_transport"];
    // A standard SIP URI (RFC 3261): the account's address of record.
    // No password: RFC 3261 deprecates one in a URI, and no standard
    // account-provisioning QR format carries it.
    a.sip_uri = "sip:" + e.extension + "@" + a.server;
    if (!a.port.empty() && a.port != "5060") a.sip_uri += ":" + a.port;
    if (!a.transport.empty() && a.transport != "udp") a.sip_uri += ";transport=" + a.transport;
    TRY(audit(tx, "invitee", "reveal", id, "{\"extension\":" + jsonString(e.extension) + "}",
              source));
    return Answer(PageResponse{200, accountPage(a)});
}

PageResponse Invitations::page(const std::string& method, const std::string& token,
                               const std::string& source) {
    // The pages run on a phones' event loop: whatever a client can repeat
    // at will must not reach the store, least of all write to it.
    const PageResponse refusal{404, refusalPage()};
    if (!limiter_.allow(source, clock_.monotonicMicros())) {
        refused(method, source, "rate_limited");
        return refusal;
    }
    if (!tokenShaped(token)) {
        refused(method, source, "malformed");
        return refusal;
    }
    // A read first: an unknown or spent token costs no write and no audit row.
    bool is_live = false;
    auto st = store_.read([&](StoreTx& tx) -> Status {
        is_live = TRY(live(tx, token)).has_value();
        return okStatus();
    });
    if (st && !is_live) {
        refused(method, source, "not_live");
        return refusal;
    }
    std::optional<PageResponse> out;
    if (st)
        st = store_.write([&](StoreTx& tx) -> Status {
            out = TRY(livePage(tx, method == "POST", token, source));
            return okStatus();
        });
    if (!st) return {503, refusalPage()};
    if (!out) {
        refused(method, source, "not_live");
        return refusal;
    }
    return *out;
}

}  // namespace prov::invite
