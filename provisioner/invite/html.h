#pragma once

// The invitation's e-mail and pages as text. Pure functions of their data:
// the caller has checked the token and says what to show.

#include <string>
#include <vector>

#include "provisioner/catalog/vendor_catalog.h"

namespace prov::invite {

std::string escapeHtml(const std::string& text);

struct MailContent {
    std::string subject;
    std::string text;
    std::string html;
};

// The e-mail: the link, the download links, how long it works. No secret.
MailContent invitationMail(const std::string& app, const std::string& extension,
                           const std::string& link, const std::vector<AppDownload>& downloads,
                           const std::string& expires_utc);

// GET: the download links and the "Show my account" button (a form POST).
std::string landingPage(const std::string& app, const std::string& extension,
                        const std::vector<AppDownload>& downloads);

struct Account {
    std::string app;
    std::string username;   // the extension
    std::string password;   // its SIP secret
    std::string server;     // sip_server
    std::string port;       // sip_port
    std::string transport;  // sip_transport
    std::string sip_uri;    // what the QR code holds
};

// POST: the account, copy buttons and the QR code.
std::string accountPage(const Account& account);

// Expired, revoked, revealed or unknown: one page for all.
std::string refusalPage();

// The Content-Security-Policy of every page: nothing but its own inline
// style and script (by hash), forms only to itself, never framed.
const std::string& pageCsp();

}  // namespace prov::invite
