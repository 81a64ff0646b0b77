"""The softphone invitation in the browser: the SMTP sink it is delivered to
(tests/integration/smtp_sink.py: python3-aiosmtpd, STARTTLS required with a
throwaway openssl certificate, AUTH required), the server settings that
point at it, and the steps from the portal's "Send Invitation Email" to the
one-time page the e-mail's link opens."""

import email
import os
import re
import subprocess
import sys
import time
from email import policy

from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from ui import css, press, tab_to, text_in, wait

HERE = os.path.dirname(os.path.abspath(__file__))
# The host of the e-mail's links; Chromium maps it to the phones' HTTPS port.
INVITE_HOST = "phones.example.com"
SMTP_USER = "pbx"
SMTP_PASSWORD = "s3cret pass"
LINK = re.compile(rf"https://{re.escape(INVITE_HOST)}/invite/[A-Za-z0-9_-]+")


class Sink:
    """The SMTP relay the server sends through, on 127.0.0.1 port 0."""

    def __init__(self, work):
        self.dir = os.path.join(work, "sink")
        os.makedirs(self.dir)
        self.cert = os.path.join(work, "smtp.crt")
        key = os.path.join(work, "smtp.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", key, "-out", self.cert], check=True, capture_output=True, timeout=60)
        self.log = open(os.path.join(work, "sink.out"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "..", "integration", "smtp_sink.py"), self.dir, self.cert, key,
             SMTP_USER, SMTP_PASSWORD], stdout=self.log, stderr=subprocess.STDOUT)
        port_file = os.path.join(self.dir, "port")
        for _ in range(100):
            if os.path.exists(port_file):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("the SMTP sink exited: " + open(os.path.join(work, "sink.out")).read())
            time.sleep(0.1)
        self.port = int(open(port_file).read())

    def settings(self):
        """The server's -D settings for this relay and the invitation links."""
        return ["smtp.host=localhost", f"smtp.port={self.port}", "smtp.starttls=required",
                f"smtp.user={SMTP_USER}", f"smtp.password={SMTP_PASSWORD}", "smtp.from=pbx@example.com",
                f"smtp.ca_file={self.cert}", "smtp.retry=1s", "smtp.timeout=5",
                f"invitations.base_url=https://{INVITE_HOST}", "invitations.valid_for=1h"]

    def mails(self):
        return sorted(f for f in os.listdir(self.dir) if f.endswith(".eml"))

    def deliveries(self):
        """auth.log: one line per mail, 'tls=True auth=True rcpt=...'."""
        path = os.path.join(self.dir, "auth.log")
        return open(path).read().splitlines() if os.path.exists(path) else []

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def host_rules(srv):
    """The e-mail's link names port 443 of INVITE_HOST: Chromium is sent to
    the server's HTTPS port instead, the URL (and so the origin) unchanged."""
    return f"MAP {INVITE_HOST} 127.0.0.1:{srv.https_port}"


def mail_parts(path):
    m = email.message_from_binary_file(open(path, "rb"), policy=policy.default)
    return m, m.get_body(("plain",)).get_content(), m.get_body(("html",)).get_content()


def send_by_keyboard(run, d, ext, secret):
    """From the focused search box, by keyboard only: open `ext`'s details,
    reveal its secret (it must be `secret`), send the invitation. Returns
    the monotonic time of the Enter on Send."""
    tab_to(d, f"More fields for {ext}")
    press(d, Keys.ENTER)
    run.check(text_in(d, "#extensions-grid tr.details", "Twinning #"), "additional fields shown (keyboard)")
    tab_to(d, f"Reveal the secret of {ext}")
    press(d, Keys.ENTER)
    shown = css(d, "#extensions-grid tr.details dd.secret code.revealed").text
    run.check(shown == secret, f"reveal answered with the extension's secret (keyboard): {shown!r}")
    # Every text the box's status line (a live region) shows from now on.
    status = css(d, "#extensions-grid tr.details .invitations-box").find_element(By.CSS_SELECTOR, ".message")
    d.execute_script("const s = arguments[0]; window.provStatus = [];"
                     "new MutationObserver(() => window.provStatus.push(s.textContent))"
                     ".observe(s, {childList: true, characterData: true, subtree: true});", status)
    tab_to(d, "Send Invitation Email")
    press(d, Keys.ENTER)
    return time.monotonic()


def invitation(run, srv, d, sink, ext, address, secret):
    """The invitation of `ext` (a softphone extension whose e-mail is
    `address` and SIP secret `secret`), from the grid with the focus in its
    search box to the account page and its refusals."""
    sent_at = send_by_keyboard(run, d, ext, secret)
    box = "#extensions-grid tr.details .invitations-box"
    # Sent: the portal polls every 3 s while it is queued.
    sent = f"Invitation sent to {address} (SMTP: 250 "
    run.check(text_in(d, f"{box} .message", sent, 15), "the portal says sent, with the SMTP server's reply")
    run.timings["invitation: Enter to sent on screen"] = time.monotonic() - sent_at
    said = d.execute_script("return window.provStatus")
    said = [t for i, t in enumerate(said) if t and (i == 0 or t != said[i - 1])]
    run.check(len(said) == 2 and said[0].startswith("Invitation queued") and said[1].startswith(sent),
              f"the status line said queued, then sent: {said}")
    item = d.find_element(By.CSS_SELECTOR, f"{box} ul.invitations li").text
    run.check(item.startswith(f"{address}: sent — SMTP: 250 "), f"the list's line: {item!r}")
    run.screen(d, "extensions-invitation-sent")

    wait(d, lambda _: sink.mails(), 10)
    run.check(sink.mails() == ["1.eml"], f"the sink got one mail: {sink.mails()}")
    run.check(sink.deliveries() == [f"tls=True auth=True rcpt={address}"],
              f"delivered over TLS with AUTH to {address}: {sink.deliveries()}")
    m, text, html = mail_parts(os.path.join(sink.dir, "1.eml"))
    run.check(m["To"] == address, f"the mail's To: {m['To']}")
    links = LINK.findall(text)
    run.check(len(links) == 1 and len(links[0].rsplit("/", 1)[1]) == 43, f"one link with a token in the text: {links}")
    link = links[0] if links else ""
    hrefs = re.findall(r'href="([^"]*/invite/[^"]*)"', html)
    run.check(hrefs == [link] and html.count(link) == 2, f"the HTML part has the same link: {hrefs}")
    run.check(secret not in text and secret not in html, "no secret in the mail")
    if not link:
        return

    portal = d.current_window_handle
    d.switch_to.new_window("tab")
    try:
        invite_pages(run, d, link, ext, secret)
    finally:
        d.close()
        d.switch_to.window(portal)

    # The three refusals reached the server (none was a page from the cache).
    log = os.path.join(srv.work, "stderr")
    want = {"GET": 2, "POST": 1}

    def got():
        text = open(log).read()
        return {m: text.count(f"event=invite_refused src=127.0.0.1 method={m} reason=not_live") for m in want}
    try:
        wait(d, lambda _: got() == want, 5)
    except TimeoutException:
        pass
    run.check(got() == want, f"the server refused two GETs and a POST: {got()}")

    st, a = srv.api("GET", "/audit?entity=invitation&limit=100")
    actions = sorted(x["action"] for x in (a or {}).get("items", []))
    run.check(st == 200 and actions == ["create", "reveal", "view"],
              f"the audit has the create, view and reveal: {actions}")
    by = {x["action"]: x["actor"] for x in a["items"]} if st == 200 else {}
    run.check(by.get("view") == "invitee" and by.get("reveal") == "invitee", f"audited as the invitee's: {by}")


def invite_pages(run, d, link, ext, secret):
    """The e-mail's link in the browser: the landing page (GET) shows no
    password; its button (POST) shows the account once; opening it again,
    a second reveal and a guessed token get the same refusal page."""
    d.get(link)
    css(d, "form button[type=submit]")
    run.check(d.find_element(By.TAG_NAME, "h1").text == f"Set up IntellaPhone for extension {ext}",
              f"landing page: {d.find_element(By.TAG_NAME, 'h1').text!r}")
    run.check(secret not in d.page_source, "no password on the page before the click")
    run.check(len(d.find_elements(By.CSS_SELECTOR, "ul a[href^='https://']")) == 3, "the download links")
    run.screen(d, "invite-landing")

    button = d.find_element(By.CSS_SELECTOR, "form button[type=submit]")
    run.check(button.text == "Show my account", f"the button: {button.text!r}")
    navigate(d, button.click)
    run.check(d.find_element(By.TAG_NAME, "h1").text == "Your IntellaPhone account", "the account page")
    field = lambda i: d.find_element(By.ID, i).text  # noqa: E731
    run.check(field("username") == ext, f"username: {field('username')!r}")
    run.check(field("password") == secret, "the password is the extension's secret")
    run.check(field("server") == "pbx.example.com", f"SIP server: {field('server')!r}")
    copies = [b.get_attribute("aria-label") for b in d.find_elements(By.CSS_SELECTOR, "button[data-copy]")]
    run.check({"Copy Username", "Copy Password", "Copy SIP server"} <= set(copies), f"copy buttons: {copies}")
    qr = d.find_elements(By.CSS_SELECTOR, ".qr svg")
    run.check(len(qr) == 1 and qr[0].is_displayed() and qr[0].size["width"] > 50, "an SVG QR code is shown")
    run.screen(d, "invite-account")

    # A copy button puts the value on the clipboard (permission granted, as a user's click would).
    d.execute_cdp_cmd("Browser.grantPermissions", {"origin": f"https://{INVITE_HOST}",
                                                   "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    copy = d.find_element(By.CSS_SELECTOR, "button[data-copy=password]")
    copy.click()
    run.check(text_in(d, "button[data-copy=password]", "Copied", 5), "Copy says Copied")
    clip = d.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, e => done('error: ' + e));")
    run.check(clip == secret, "the clipboard holds the password")

    # Back to the link (fetched again: the pages are no-store): refused now.
    d.back()
    refused = refusal(d)
    run.check(refused[0] == "This invitation link is not valid", f"back after the reveal is refused: {refused[0]!r}")
    run.screen(d, "invite-refused")
    # A second reveal: a form posted to the link again, from this page.
    navigate(d, lambda: d.execute_script(
        "const f = document.createElement('form'); f.method = 'post'; document.body.append(f); f.submit();"))
    run.check(refusal(d) == refused, "a second reveal gets the same refusal page")
    d.get(link.rsplit("/", 1)[0] + "/" + "A" * 43)
    run.check(refusal(d) == refused, "a guessed token gets the same refusal page")


def navigate(d, action):
    """Runs `action` (a click that submits a form) and waits until the next
    page has replaced this one and loaded."""
    d.execute_script("window.provOldPage = true;")
    action()
    # Between the pages the driver may answer with an error: asked again.
    wait(d, lambda _: d.execute_script("return window.provOldPage === undefined && document.readyState === 'complete'"),
         10, ignored=(WebDriverException,))


def refusal(d):
    """(h1, body text) of the page once it has loaded."""
    try:
        wait(d, lambda _: d.execute_script("return document.readyState") == "complete"
             and d.find_elements(By.TAG_NAME, "h1"))
    except TimeoutException:
        return ("", "")
    return (d.find_element(By.TAG_NAME, "h1").text, d.find_element(By.TAG_NAME, "body").text)
