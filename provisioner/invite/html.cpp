#include "provisioner/invite/html.h"

#include "provisioner/invite/qr_svg.h"
#include "provisioner/mail/message.h"
#include "provisioner/tls/crypto.h"

namespace prov::invite {

namespace {

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 "
    "1rem;color:#222}"
    "h1{font-size:1.5rem}dl{display:grid;grid-template-columns:max-content 1fr auto;gap:.5rem 1rem;"
    "align-items:center}dt{font-weight:bold}dd{margin:0;font-family:monospace;word-break:break-all}"
    "button{font-size:1rem;padding:.5rem 1rem}.qr{margin-top:1.5rem}";

constexpr const char* kScript =
    "document.querySelectorAll('button[data-copy]').forEach(function(b){b.addEventListener('click',"
    "function(){var t=document.getElementById(b.getAttribute('data-copy')).textContent;"
    "navigator.clipboard.writeText(t).then(function(){b.textContent='Copied';});});});";

// 'sha256-<base64 of the digest>' of an inline element's text.
std::string cspHash(const std::string& text) {
    tls::Sha256Stream h;
    h.update(text.data(), text.size());
    const std::string hex = h.hexDigest();
    std::string raw;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return "'sha256-" + mail::base64(raw) + "'";
}

std::string page(const std::string& title, const std::string& body, bool script) {
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"robots\" content=\"noindex\"><title>" +
        escapeHtml(title) + "</title><style>" + kStyle + "</style></head><body>\n" + body;
    if (script) out += "<script>" + std::string(kScript) + "</script>";
    return out + "</body></html>\n";
}

std::string downloadList(const std::vector<AppDownload>& downloads) {
    std::string out = "<ul>";
    for (const AppDownload& d : downloads)
        out += "<li><a href=\"" + escapeHtml(d.url) + "\">" + escapeHtml(d.platform) + "</a></li>";
    return out + "</ul>";
}

}  // namespace

std::string escapeHtml(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

const std::string& pageCsp() {
    static const std::string csp = "default-src 'none'; style-src " + cspHash(kStyle) +
                                   "; script-src " + cspHash(kScript) +
                                   "; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    return csp;
}

MailContent invitationMail(const std::string& app, const std::string& extension,
                           const std::string& link, const std::vector<AppDownload>& downloads,
                           const std::string& expires_utc) {
    MailContent m;
    m.subject = "Your " + app + " account for extension " + extension;
    m.text = "Hello,\n\nYou have been invited to use " + app + " for extension " + extension +
             ".\n\n"
             "1. Install " +
             app + ":\n";
    for (const AppDownload& d : downloads) m.text += "   " + d.platform + ": " + d.url + "\n";
    m.text +=
        "\n2. Open this link and press \"Show my account\" to get your sign-in details:\n   " +
        link + "\n\nThe link works once, until " + expires_utc +
        ". If it does not work any more, ask your administrator for a new invitation.\n";
    m.html = "<!DOCTYPE html><html><body><p>Hello,</p><p>You have been invited to use " +
             escapeHtml(app) + " for extension " + escapeHtml(extension) + ".</p><p>1. Install " +
             escapeHtml(app) + ":</p>" + downloadList(downloads) +
             "<p>2. Open this link and press <b>Show my account</b> to get your "
             "sign-in details:</p><p><a href=\"" +
             escapeHtml(link) + "\">" + escapeHtml(link) +
             "</a></p><p>The link works once, until " + escapeHtml(expires_utc) +
             ". If it does not work any more, ask your administrator for a new "
             "invitation.</p></body></html>";
    return m;
}

std::string landingPage(const std::string& app, const std::string& extension,
                        const std::vector<AppDownload>& downloads) {
    return page("Set up " + app,
                "<h1>Set up " + escapeHtml(app) + " for extension " + escapeHtml(extension) +
                    "</h1>"
                    "<p>1. Install the application:</p>" +
                    downloadList(downloads) +
                    "<p>2. Show your account details and paste them into the application's account "
                    "settings. "
                    "They are shown only once: keep this page open until you are signed in.</p>"
                    "<form method=\"post\"><button type=\"submit\">Show my account</button></form>",
                false);
}

std::string accountPage(const Account& a) {
    auto row = [](const std::string& id, const std::string& label, const std::string& value) {
        return "<dt>" + label + "</dt><dd id=\"" + id + "\">" + escapeHtml(value) +
               "</dd><dd><button type=\"button\" data-copy=\"" + id + "\" aria-label=\"Copy " +
               label + "\">Copy</button></dd>";
    };
    const std::string qr = qrSvg(a.sip_uri, "QR code of the SIP address " + a.sip_uri);
    return page("Your " + a.app + " account",
                "<h1>Your " + escapeHtml(a.app) +
                    " account</h1>"
                    "<p>Copy these into the application's account settings. This page is shown "
                    "only once.</p><dl>" +
                    row("username", "Username", a.username) +
                    row("password", "Password", a.password) +
                    row("server", "SIP server", a.server) + row("port", "Port", a.port) +
                    row("transport", "Transport", a.transport) +
                    "</dl><div class=\"qr\"><p>Or scan the SIP address (" + escapeHtml(a.sip_uri) +
                    "; the password is typed or pasted):</p>" + qr + "</div>",
                true);
}

std::string refusalPage() {
    return page("Invitation not valid",
                "<h1>This invitation link is not valid</h1><p>It may have expired, been replaced "
                "by a newer "
                "invitation, or already been used. Ask your administrator to send you a new "
                "invitation.</p>",
                false);
}

}  // namespace prov::invite
