#!/usr/bin/python3
"""The admin portal in headless Chromium against the real binary.

Admin path: sign in -> create an extension with voicemail -> a refused PIN
is marked in place -> the licence limit (license.extensions=2) -> edit ->
a concurrent edit (made over the API behind the browser's back) is reported,
not overwritten -> the extension made a softphone (IntellaPhone PC) ->
by keyboard only: its details, its secret revealed, Send Invitation Email ->
queued then sent on screen; the e-mail in a local SMTP sink (STARTTLS, AUTH)
and its link opened: the landing page, the account shown once, refusals, the
audit (invitations.py) -> delete with the references dialog, cancelled then
confirmed -> phone buttons set and reordered by dragging -> an inventory CSV
with errors, then a good one, imported as a job the page follows -> the
other screens. Installer path at 360x740: the staging view sees a phone
(simulated fetches with its real User-Agent) move to applied. A screenshot
per screen is kept in the output folder (printed); axe-core finds no
serious or critical violation on any screen.

Needs PROVISIONER_BIN, TEMPLATES_DIR, SOURCE_DIR (CTest sets them);
BROWSER_OUT chooses the output folder.
"""

import os
import sys
import tempfile
import time
import traceback

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from invitations import Sink, host_rules, invitation  # noqa: E402
from server import Server  # noqa: E402
from ui import Run, css, editor_input, field_error, new_driver, text_in, wait  # noqa: E402

UA = "Yealink SIP-T46U 108.86.0.90 00:15:65:4a:b0:01"
MAC = "00:15:65:4a:b0:01"
UA2 = "Yealink SIP-T46U 108.86.0.90 00:15:65:4a:b0:03"
MAC2 = "00:15:65:4a:b0:03"


def make_user(srv, name, role, password):
    """A portal user made the way an admin does: `provisioner user add`."""
    path = os.path.join(srv.work, f"{name}.password")
    with open(path, "w") as f:
        f.write(password + "\n")
    os.chmod(path, 0o600)
    srv.cli("user", "add", name, "--role", role, "--password-file", path)


def sign_in(d, base, name, password):
    """The one place that signs in: name and password on the sign-in screen
    (POST /api/v1/session; the session cookie and CSRF token from then on)."""
    d.get(base + "/")
    css(d, "#si-name").send_keys(name)
    css(d, "#si-password").send_keys(password)
    d.find_element(By.ID, "sign-in-button").click()
    css(d, "#screen-title")


def admin_path(run, srv, sink, d):
    base = srv.base
    d.get(base + "/")
    css(d, "#sign-in-form")
    run.screen(d, "sign-in")
    names = [i.get_attribute("name") for i in d.find_elements(By.CSS_SELECTOR, "#sign-in-form input")]
    run.check(names == ["name", "password"], f"sign-in asks for a name and password only, no API token: {names}")
    t0 = time.monotonic()
    make_user(srv, "ann", "admin", "correct horse battery")
    sign_in(d, base, "ann", "correct horse battery")
    css(d, "#extensions-grid tbody tr")
    run.timings["sign-in to grid"] = time.monotonic() - t0
    run.check(d.find_element(By.ID, "screen-title").text == "Extensions", "lands on Extensions")
    run.check(d.execute_script("return sessionStorage.length") == 0, "nothing kept in the tab's storage")
    heads = [th.text.replace(" ▲", "").replace(" ▼", "") for th in d.find_elements(By.CSS_SELECTOR, "#extensions-grid thead th")]
    run.check(heads == ["Extension", "Device Type", "CallerID Name", "User", "Voicemail", "Voicemail PIN",
                        "Voicemail Email", "Agent", "Status", "IP", "Port", "Controls"], f"grid columns: {heads}")

    # New Extension with voicemail: the PIN is refused and marked in place.
    d.find_element(By.ID, "new-extension").click()
    editor_input(d, "extension").send_keys("1001")
    editor_input(d, "callerid_name").send_keys("Ann Example")
    pin = editor_input(d, "voicemail_pin")
    run.check(not pin.is_displayed(), "PIN hidden while voicemail is off")
    editor_input(d, "voicemail_enabled").click()
    run.check(pin.is_displayed(), "PIN shown once voicemail is on")
    pin.send_keys("12")
    editor_input(d, "voicemail_email").send_keys("ann@example.com")
    save = d.find_element(By.XPATH, "//button[normalize-space()='Save New Extension']")
    save.click()
    wait(d, lambda _: pin.get_attribute("aria-invalid") == "true")
    run.check("digit" in field_error(d, pin), f"PIN error in place: {field_error(d, pin)!r}")
    run.screen(d, "extensions-pin-refused")
    pin.clear()
    pin.send_keys("4321")
    save.click()
    run.check(text_in(d, "#screen .message", "Changes Saved"), "Changes Saved after the create")
    css(d, "#extensions-grid tr[data-extension='1001']")
    st, e = srv.api("GET", "/extensions/1001")
    run.check(st == 200 and e["voicemail_enabled"] and e["voicemail_email"] == "ann@example.com", "1001 stored")
    run.screen(d, "extensions-saved")

    # The licence limit (2): one more over the API, the third in the browser.
    st, _ = srv.api("POST", "/extensions", {"extension": "1002", "callerid_name": "Bob"})
    run.check(st == 201, "1002 created over the API")
    d.find_element(By.ID, "new-extension").click()
    editor_input(d, "extension").send_keys("1003")
    editor_input(d, "callerid_name").send_keys("Carol")
    d.find_element(By.XPATH, "//button[normalize-space()='Save New Extension']").click()
    run.check(text_in(d, "tr.editor-more .message", "2 of 2"), "licence limit shows used/allowed")
    dt = editor_input(d, "device_type")
    run.check("Licence limit" in field_error(d, dt), "licence limit marked in place")
    run.screen(d, "extensions-licence-limit")
    d.find_element(By.XPATH, "//tr[contains(@class,'editor')]//button[normalize-space()='Cancel']").click()

    # Edit, with a concurrent edit behind the browser's back: reported.
    row = css(d, "#extensions-grid tr[data-extension='1001']")
    ActionChains(d).double_click(row.find_elements(By.TAG_NAME, "td")[2]).perform()
    name = editor_input(d, "callerid_name")
    name.clear()
    name.send_keys("Ann From Browser")
    st, _ = srv.api("PATCH", "/extensions/1001", {"callerid_name": "Ann From Script"})
    run.check(st == 200, "the concurrent edit over the API")
    d.find_element(By.XPATH, "//tr[contains(@class,'editor')]//button[normalize-space()='Save']").click()
    run.check(text_in(d, "tr.editor-more .message", "changed by someone else"), "conflict reported")
    st, e = srv.api("GET", "/extensions/1001")
    run.check(e["callerid_name"] == "Ann From Script", "the other edit was not overwritten")
    run.screen(d, "extensions-conflict")
    d.find_element(By.XPATH, "//tr[contains(@class,'editor')]//button[normalize-space()='Cancel']").click()
    row = css(d, "#extensions-grid tr[data-extension='1001']")
    row.find_element(By.XPATH, ".//button[normalize-space()='Edit']").click()
    name = editor_input(d, "callerid_name")
    name.clear()
    name.send_keys("Ann Edited")
    name.send_keys(Keys.ENTER)
    run.check(text_in(d, "#screen .message", "Changes Saved"), "Changes Saved after the edit")
    run.check(srv.api("GET", "/extensions/1001")[1]["callerid_name"] == "Ann Edited", "the edit stored")

    # 1001 becomes a softphone (IntellaPhone PC, no MAC) to be invited.
    st, _ = srv.api("PUT", "/settings", {"sip_server": "pbx.example.com", "sip_port": 5060, "sip_transport": "udp"})
    run.check(st == 200, "the SIP server set over the API")
    css(d, "#extensions-grid tr[data-extension='1001']").find_element(
        By.XPATH, ".//button[normalize-space()='Edit']").click()
    Select(editor_input(d, "phone_make")).select_by_visible_text("IntellaPhone")
    wait(d, lambda _: "IntellaPhone PC" in [o.text for o in Select(editor_input(d, "phone_model")).options])
    Select(editor_input(d, "phone_model")).select_by_visible_text("IntellaPhone PC")
    d.find_element(By.XPATH, "//tr[contains(@class,'editor')]//button[normalize-space()='Save']").click()
    wait(d, lambda _: not d.find_elements(By.CSS_SELECTOR, "tr.editor"))
    st, e = srv.api("GET", "/extensions/1001")
    run.check(st == 200 and e["phone_make"].lower() == "intellaphone" and e["phone_model"] == "IntellaPhone PC"
              and not e["mac"], f"1001 stored as a softphone: {e.get('phone_make')} / {e.get('phone_model')}")
    run.check(len(e["secret"]) >= 16 and "*" not in e["secret"], "the admin token reads the SIP secret itself")
    # By keyboard from the search box: details, Reveal, Send Invitation Email;
    # then the e-mail in the sink and its link in the browser.
    css(d, "#extensions-grid tr[data-extension='1001']")
    d.execute_script("document.getElementById('ext-search').focus()")
    invitation(run, srv, d, sink, "1001", "ann@example.com", e["secret"])

    # Delete 1001 (voicemail on: in use): the dialog lists the references
    # (GET .../references) when it opens; cancel changes nothing, then confirm.
    css(d, "#extensions-grid tr[data-extension='1001'] button.delete").click()
    refs = css(d, "#delete-dialog").find_element(By.CSS_SELECTOR, "ul.references").text
    run.check(refs == "voicemail is enabled", f"references listed on the first opening: {refs!r}")
    run.check("Still in use by 1 item(s)" in d.find_element(By.CSS_SELECTOR, "#delete-dialog p.warning").text,
              "the dialog warns what deleting removes")
    run.screen(d, "extensions-delete-dialog")
    d.find_element(By.ID, "delete-cancel").click()
    run.check(text_in(d, "#screen .message", "Extension 1001 was not deleted."), "cancel says not deleted")
    run.check(srv.api("GET", "/extensions/1001")[0] == 200, "cancel keeps the extension")
    css(d, "#extensions-grid tr[data-extension='1001'] button.delete").click()
    refs = css(d, "#delete-dialog").find_element(By.CSS_SELECTOR, "ul.references").text
    run.check(refs == "voicemail is enabled", f"references listed again: {refs!r}")
    d.find_element(By.ID, "delete-confirm").click()
    run.check(text_in(d, "#screen .message", "Extension 1001 deleted."), "deleted after confirming, once")
    run.check(not d.find_elements(By.CSS_SELECTOR, "#delete-dialog[open]"), "the dialog is not asked again")
    run.check(srv.api("GET", "/extensions/1001")[0] == 404, "1001 is gone")

    # Phone buttons of 1002: set two, drag the second above the first.
    css(d, "#extensions-grid tr[data-extension='1002'] button[aria-label^='Phone buttons']").click()
    keys = lambda: d.find_elements(By.CSS_SELECTOR, "#buttons-list > li")  # noqa: E731
    wait(d, lambda _: len(keys()) >= 2)
    k = keys()
    k[0].find_element(By.NAME, "type").send_keys("speed_dial")
    k[0].find_element(By.NAME, "value").send_keys("5551234")
    k[0].find_element(By.NAME, "label").send_keys("Pizza")
    k[1].find_element(By.NAME, "type").send_keys("line")
    k[1].find_element(By.NAME, "label").send_keys("Line 1")
    ActionChains(d).click_and_hold(k[1].find_element(By.CLASS_NAME, "handle")) \
        .move_to_element_with_offset(k[0].find_element(By.CLASS_NAME, "handle"), 0, -5).release().perform()
    run.check(keys()[0].find_element(By.NAME, "label").get_attribute("value") == "Line 1", "drag moved the key up")
    # And by keyboard: the third key's Up button.
    keys()[2].find_element(By.NAME, "label").send_keys("Spare")
    keys()[2].find_element(By.NAME, "type").send_keys("park")
    keys()[2].find_element(By.CSS_SELECTOR, "button[data-move=up]").send_keys(Keys.ENTER)
    d.find_element(By.ID, "buttons-save").click()
    park = keys()[1].find_element(By.NAME, "value")
    wait(d, lambda _: park.get_attribute("aria-invalid") == "true")
    run.check("required" in field_error(d, park), "a park key without a value is marked in place")
    park.send_keys("701")
    d.find_element(By.ID, "buttons-save").click()
    run.check(text_in(d, ".buttons-panel .message", "Changes Saved"), "buttons saved")
    st, b = srv.api("GET", "/extensions/1002/buttons")
    got = [(x["index"], x["type"]) for x in b or []]
    run.check(got == [(1, "line"), (2, "park"), (3, "speed_dial")], f"buttons in the dragged order: {got}")
    run.screen(d, "extensions-buttons")

    # Import: a CSV with errors (each with line and column), then a good one.
    d.get(base + "/#/import")
    bad = os.path.join(run.out, "bad.csv")
    good = os.path.join(run.out, "good.csv")
    with open(bad, "w") as f:
        f.write("mac,make,model,label,extension,callerid_name,voicemail_enabled,voicemail_pin\n"
                "00:15:65:zz:b0:01,Yealink,T46U,HQ,2001,Dana,false,\n"
                "00:15:65:4a:b0:02,Yealink,T46U,HQ,2002,Eve,true,12ab\n")
    with open(good, "w") as f:
        f.write(f"mac,make,model,label,extension,callerid_name\n{MAC},Yealink,T46U,HQ,2001,Dana\n")
    css(d, "#import-file").send_keys(bad)
    d.find_element(By.ID, "import-dry-run").click()
    css(d, "#import-problems table")
    cells = [td.text for td in d.find_elements(By.CSS_SELECTOR, "#import-problems td")]
    rows = [cells[i:i + 3] for i in range(0, len(cells), 3)]
    run.check([r[:2] for r in rows] == [["2", "mac"], ["3", "voicemail_pin"]], f"problems with line/column: {rows}")
    run.screen(d, "import-problems")
    d.find_element(By.ID, "import-file").send_keys(good)
    d.find_element(By.ID, "import-dry-run").click()
    wait(d, lambda _: d.find_element(By.ID, "import-run").is_enabled())
    run.check(srv.api("GET", "/extensions/2001")[0] == 404, "dry run stored nothing")
    d.find_element(By.ID, "import-run").click()
    run.check(text_in(d, "#import-status", "imported: 1 row(s)"), "import done")
    progress = d.find_element(By.ID, "import-progress")
    run.check(progress.is_displayed() and progress.get_attribute("value") == "100", "the progress bar is full")
    # The page followed the server's import job (POST ?async=true, then GET /imports/{id}).
    fetched = d.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    jobs = sorted({u.rsplit("/", 1)[1] for u in fetched if "/api/v1/imports/" in u})
    run.check(any(u.endswith("/api/v1/imports?async=true") for u in fetched) and len(jobs) == 1,
              f"the import ran as a job the page followed: {jobs}")
    st, job = srv.api("GET", f"/imports/{jobs[0]}") if jobs else (0, None)
    run.check(st == 200 and job["state"] == "done" and job["rows_done"] == job["rows_total"] == 1
              and job["report"]["message"] == "imported", f"the job's own state: {job}")
    run.check(srv.api("GET", "/extensions/2001")[0] == 200, "import stored 2001")
    run.screen(d, "import-done")

    # Devices: the imported phone, and the exact file it would get (admins).
    d.get(base + "/#/devices")
    dev = css(d, f"#devices-grid tr[data-mac='{MAC}']")
    run.check("HQ" in dev.text and "T46U" in dev.text, f"device row: {dev.text!r}")
    dev.find_element(By.XPATH, ".//button[normalize-space()='Preview']").click()
    css(d, "#preview-file")
    d.find_element(By.XPATH, "//button[normalize-space()='Show']").click()
    run.check(text_in(d, "pre.preview", "2001"), "preview shows the phone's file with its extension")
    run.screen(d, "devices-preview")

    # The other screens draw without error.
    for path, sel in (("settings", "form.settings input"),
                      ("events", "#screen table"), ("audit", "#screen table"), ("users", "#screen table")):
        d.get(f"{base}/#/{path}")
        css(d, sel)
        run.screen(d, path)


def installer_path(run, srv, d):
    make_user(srv, "ivy", "installer", "wiring closet 42")
    sign_in(d, srv.base, "ivy", "wiring closet 42")
    nav = d.find_element(By.ID, "nav").text
    run.check("Import" not in nav and "Users" not in nav, f"installer nav hides admin screens: {nav!r}")
    run.check(not d.find_elements(By.ID, "new-extension"), "no New Extension for an installer")
    # An unknown phone fetches; the installer claims it for 1002 at HQ.
    run.check(srv.phone_fetch("0015654ab003.cfg", UA2) == 404, "unknown phone's fetch")
    d.get(srv.base + "/#/devices")
    css(d, "#dev-unknown").click()
    row = css(d, f"#devices-grid tr[data-mac='{MAC2}']")
    run.screen(d, "devices-360-unknown")
    row.find_element(By.XPATH, ".//button[normalize-space()='Claim']").click()
    css(d, "#claim-ext").send_keys("1002")
    site = d.find_element(By.ID, "claim-site")
    site.clear()
    site.send_keys("HQ")
    site.send_keys(Keys.ENTER)
    run.check(text_in(d, "#device-panel .message", "Changes Saved"), "claimed")
    st, e = srv.api("GET", "/extensions/1002")
    run.check(e.get("mac") == MAC2, f"1002 bound to the claimed phone: {e.get('mac')}")
    d.get(srv.base + "/#/staging")
    css(d, "#staging-site").send_keys("HQ")
    d.find_element(By.XPATH, "//button[normalize-space()='Watch']").click()
    item = f"#staging-list li[data-mac='{MAC}']"
    css(d, item)
    run.check(text_in(d, item, "staged"), "the imported phone is staged")
    run.screen(d, "staging-360-staged")
    t0 = time.monotonic()
    run.check(srv.phone_fetch(MAC.replace(":", "") + ".cfg", UA) == 200, "phone fetch 1")
    run.check(text_in(d, item, "provisioned", 10), "staging shows provisioned")
    run.check(srv.phone_fetch(MAC.replace(":", "") + ".cfg", UA) == 200, "phone fetch 2")
    run.check(text_in(d, item, "applied", 10), "staging shows applied")
    run.timings["fetch to applied on screen"] = time.monotonic() - t0
    run.check(text_in(d, "#staging-counts li[data-state=applied]", "1"), "applied count 1")
    run.check(d.find_elements(By.CSS_SELECTOR, f"#staging-list li[data-mac='{MAC2}']"), "the claimed phone listed")
    width = d.execute_script("return document.documentElement.scrollWidth")
    run.check(width <= 360, f"no sideways scrolling at 360 px (page is {width})")
    run.screen(d, "staging-360-applied")
    d.get(srv.base + "/#/extensions")
    css(d, "#extensions-grid tbody tr")
    run.screen(d, "extensions-360-installer")


def main():
    binary = os.environ["PROVISIONER_BIN"]
    templates = os.environ["TEMPLATES_DIR"]
    source = os.environ.get("SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
    out = os.environ.get("BROWSER_OUT") or tempfile.mkdtemp(prefix="prov-browser-")
    os.makedirs(out, exist_ok=True)
    for old in os.listdir(out):  # a kept folder shows this run's screens only
        if old.endswith(".png"):
            os.remove(os.path.join(out, old))
    started = time.monotonic()
    run = Run(out)
    work = tempfile.mkdtemp(prefix="prov-browser-srv-")
    sink = Sink(work)
    srv = None
    try:
        srv = Server(work, binary, templates, os.path.join(source, "portal"),
                     ["license.extensions=2"] + sink.settings())
        paths = (("admin", lambda d: admin_path(run, srv, sink, d), (1366, 900), host_rules(srv)),
                 ("installer", lambda d: installer_path(run, srv, d), (360, 740), None))
        for name, fn, size, rules in paths:
            t = time.monotonic()
            d = new_driver(*size, host_rules=rules)
            try:
                fn(d)
            except Exception:  # a step that broke: recorded, the other path still runs
                run.check(False, f"{name} path: {traceback.format_exc()}")
                d.save_screenshot(os.path.join(out, f"failed-{name}.png"))
            finally:
                d.quit()
            run.timings[f"{name} path"] = time.monotonic() - t
    finally:
        if srv:
            srv.stop()
        sink.stop()
    run.timings["whole suite"] = time.monotonic() - started
    for k, v in run.timings.items():
        print(f"timing: {k}: {v:.1f} s")
    print(f"screenshots: {out}")
    print(f"{run.passed} passed, {len(run.failures)} failed")
    if run.failures:
        print(f"server logs kept in {work}", file=sys.stderr)
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
