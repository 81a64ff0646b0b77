#!/usr/bin/python3
"""The admin API against its description (docs/openapi.json), on the real
binary started on port 0: the description served at /api/v1/openapi.json is
the file's bytes, without a token; every route of the description is called
(creating, listing, reading, changing and deleting, and refusals of each kind)
and answers with a status the description gives for that path and method,
with a body valid against that response's schema (JSON Schema draft
2020-12, Debian's python3-jsonschema). The records' schemas close their
objects (additionalProperties false), so a field the server writes and the
description lacks fails here, as does one described and no longer written.
A method the description does not give a path is 405, with an Allow header
naming exactly the described ones.

Needs PROVISIONER_BIN, TEMPLATES_DIR and SOURCE_DIR (CTest sets them)."""

import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from openapi_statuses import METHODS, described_methods, problem, template_of  # noqa: E402
from server import Server  # noqa: E402

try:
    import jsonschema
except ImportError:
    sys.exit("python3-jsonschema is missing (deploy/install-deps.sh --test)")

BIN = os.path.abspath(os.environ["PROVISIONER_BIN"])
TEMPLATES = os.path.abspath(os.environ["TEMPLATES_DIR"])
SOURCE = os.path.abspath(os.environ["SOURCE_DIR"])
DOC_PATH = os.path.join(SOURCE, "docs", "openapi.json")
DOC_BYTES = open(DOC_PATH, "rb").read()
DOC = json.loads(DOC_BYTES)

failures = []
passes = 0
seen = {}  # (template, method) -> set of statuses


def check(condition, message):
    global passes
    if condition:
        passes += 1
    else:
        failures.append(message)
        print("FAIL: " + message, file=sys.stderr)


# --- The description ---------------------------------------------------------

def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        target = DOC
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def validator(schema):
    # The schema's $refs point into the description: give it the components.
    root = dict(schema)
    root["components"] = DOC["components"]
    return jsonschema.Draft202012Validator(root)


def check_answer(method, path, status, headers, raw):
    """Checks one answer against the description."""
    name = f"{method} {path} -> {status}"
    why = problem(DOC, method, path, status)
    check(why is None, why or "")
    tmpl = template_of(DOC, path)
    if tmpl is None or why:
        return
    seen.setdefault((tmpl, method), set()).add(status)
    op = DOC["paths"][tmpl].get(method.lower())
    if op is None:
        described = described_methods(DOC, tmpl)
        allow = sorted(x.strip() for x in headers.get("allow", "").split(","))
        check(allow == sorted(described), f"{name}: Allow {allow} should be the described {sorted(described)}")
        body_against(name, {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                     headers, raw)
        return
    response = resolve(op["responses"][str(status)])
    for header in response.get("headers", {}):
        check(header.lower() in headers, f"{name}: the described header {header} is missing")
    body_against(name, response, headers, raw)


def body_against(name, response, headers, raw):
    content = response.get("content")
    if not content:
        check(raw == b"", f"{name}: described without a body, got {raw[:200]!r}")
        return
    media = headers.get("content-type", "").split(";")[0].strip()
    check(media in content, f"{name}: Content-Type {media!r} is not one described ({', '.join(content)})")
    if media != "application/json" or media not in content:
        return
    try:
        value = json.loads(raw)
    except ValueError:
        check(False, f"{name}: the body is not JSON: {raw[:200]!r}")
        return
    errors = sorted(validator(content[media]["schema"]).iter_errors(value), key=lambda e: list(e.path))
    for e in errors[:5]:
        where = "/".join(str(p) for p in e.absolute_path)
        check(False, f"{name}: at /{where}: {e.message[:300]}")
    if not errors:
        check(True, "")


# --- The server --------------------------------------------------------------

def closed_port():
    """A local TCP port nothing listens on (the mail relay, which stays away)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Client:
    def __init__(self, server):
        self.server = server
        self.status = 0
        self.headers = {}
        self.cookies = []
        self.raw = b""

    def call(self, method, path, body=None, token="admin", headers=None, raw=None, content_type=None):
        """Calls /api/v1 + path; checks the answer against the description;
        returns the parsed JSON body (or None)."""
        hdrs = dict(headers or {})
        if token == "admin":
            token = self.server.token
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if content_type:
            hdrs["Content-Type"] = content_type
        conn = http.client.HTTPConnection("127.0.0.1", self.server.admin_port, timeout=20)
        try:
            conn.request(method, "/api/v1" + path, body=data, headers=hdrs)
            r = conn.getresponse()
            self.status = r.status
            self.headers = {k.lower(): v for k, v in r.getheaders()}
            self.cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
            self.raw = r.read()
        finally:
            conn.close()
        check_answer(method, path, self.status, self.headers, self.raw)
        try:
            return json.loads(self.raw) if self.raw and "json" in self.headers.get("content-type", "") else None
        except ValueError:
            return None

    def expect(self, status, method, path, **kw):
        body = self.call(method, path, **kw)
        check(self.status == status, f"{method} {path}: expected {status}, got {self.status} {self.raw[:300]!r}")
        return body

    def stream_first_event(self, path):
        """GET a Server-Sent Events stream, read its first event, hang up."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.admin_port, timeout=20)
        try:
            conn.request("GET", "/api/v1" + path, headers={"Authorization": f"Bearer {self.server.token}"})
            r = conn.getresponse()
            headers = {k.lower(): v for k, v in r.getheaders()}
            first = b""
            deadline = time.monotonic() + 10
            while b"\n\n" not in first and time.monotonic() < deadline:
                chunk = r.read1(65536) if hasattr(r, "read1") else r.read(1)
                if not chunk:
                    break
                first += chunk
            check_answer("GET", path, r.status, headers, b"")
        finally:
            conn.close()
        return r.status, first


def phone_fetch(server, file, user_agent):
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    try:
        conn.request("GET", "/" + file, headers={"User-Agent": user_agent})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


# --- The calls ---------------------------------------------------------------

def served_description(c, s):
    """The description: the file's bytes, no token needed."""
    conn = http.client.HTTPConnection("127.0.0.1", s.admin_port, timeout=20)
    try:
        conn.request("GET", "/api/v1/openapi.json")
        r = conn.getresponse()
        raw = r.read()
        check(r.status == 200, f"GET /openapi.json without a token: {r.status}")
        check(raw == DOC_BYTES, "the served description is docs/openapi.json byte for byte (rebuild?)")
        check(r.getheader("Content-Type", "").startswith("application/json"), "served as application/json")
        check_answer("GET", "/openapi.json", r.status, {k.lower(): v for k, v in r.getheaders()}, raw)
    finally:
        conn.close()
    c.expect(200, "GET", "/openapi.json", token="")
    c.expect(405, "POST", "/openapi.json", body={}, token="")
    c.expect(400, "GET", "/openapi.json", raw=b"{not json", content_type="application/json", token="")


def extensions(c, viewer):
    c.expect(200, "GET", "/extensions")
    c.expect(201, "POST", "/extensions", body={"extension": "1001", "callerid_name": "Ann", "mac": "00:15:65:00:00:01",
                                               "phone_make": "Yealink", "phone_model": "T31", "voicemail_enabled": True,
                                               "voicemail_pin": "1234", "voicemail_email": "ann@example.com"})
    check(c.headers.get("location") == "/api/v1/extensions/1001", "Location of the new extension")
    c.expect(201, "POST", "/extensions", body={"extension": "1002", "callerid_name": "Bob", "device_type": "VIRTUAL"})
    c.expect(201, "POST", "/extensions", body={"extension": "2001", "callerid_name": "Soft",
                                               "voicemail_email": "soft@example.com", "phone_make": "IntellaPhone",
                                               "phone_model": "IntellaPhone PC"})
    c.expect(409, "POST", "/extensions", body={"extension": "1001", "callerid_name": "Again"})
    c.expect(400, "POST", "/extensions", body={"extension": "1003", "voicemail_pin": "x", "colour": 1})
    c.expect(403, "POST", "/extensions", body={"extension": "1004", "callerid_name": "V"}, token=viewer)
    c.expect(401, "GET", "/extensions", token="")
    c.expect(200, "GET", "/extensions?limit=2&sort=extension&order=desc&device_type=SIP")
    c.expect(400, "GET", "/extensions?limit=0&sort=colour")
    ext = c.expect(200, "GET", "/extensions/1001")
    c.expect(200, "GET", "/extensions/1001", token=viewer)
    c.expect(404, "GET", "/extensions/9999")
    c.expect(200, "PUT", "/extensions/1001", body={"callerid_name": "Ann A", "mac": "00:15:65:00:00:01",
                                                   "phone_make": "Yealink", "phone_model": "T31"})
    c.expect(200, "PATCH", "/extensions/1001", body={"notes": "front desk"})
    c.expect(409, "PATCH", "/extensions/1001", body={"notes": "stale", "version": ext["version"]})
    c.expect(400, "PATCH", "/extensions/1001", body={"created_at": "2026-01-01T00:00:00Z"})
    c.expect(403, "DELETE", "/extensions/1001", token=viewer)
    c.expect(200, "GET", "/extensions/1001/buttons")
    c.expect(200, "PUT", "/extensions/1001/buttons", raw=json.dumps(
        [{"index": 1, "type": "line", "value": "1001", "label": "Ann", "line": 1},
         {"index": 2, "type": "blf", "value": "1002", "label": "Bob", "line": 1}]).encode(),
        content_type="application/json")
    c.expect(400, "PUT", "/extensions/1001/buttons", body={"index": 1})
    c.expect(200, "PUT", "/extensions/1001/registration", body={"status": "OK", "ip": "127.0.0.1", "port": 5060,
                                                                "agent": "Yealink", "transport": "udp"})
    c.expect(400, "PUT", "/extensions/1001/registration", body={"ip": 7})
    c.expect(405, "GET", "/extensions/1001/registration")
    c.expect(200, "GET", "/extensions/1001/references")
    c.expect(200, "POST", "/extensions/1001/secret/reveal")
    c.expect(403, "POST", "/extensions/1001/secret/reveal", token=viewer)
    c.expect(200, "GET", "/extensions/2001/invitations")
    c.expect(202, "POST", "/extensions/2001/invitations")
    c.expect(200, "GET", "/extensions/2001/invitations")
    c.expect(409, "POST", "/extensions/1001/invitations", body={"email": "x@example.com"})
    c.expect(400, "POST", "/extensions/2001/invitations", body={"mail": 1})
    c.expect(409, "DELETE", "/extensions/1002")  # 1001's BLF key watches it
    c.expect(204, "DELETE", "/extensions/1002?force=true")
    c.expect(405, "DELETE", "/extensions")


def devices(c, viewer, installer, s):
    c.expect(200, "GET", "/devices")
    c.expect(201, "POST", "/devices", body={"mac": "00:15:65:00:00:02", "make": "Yealink", "model": "T31",
                                            "label": "hq", "serial": "S2"})
    check(c.headers.get("location") == "/api/v1/devices/001565000002", "Location of the new device")
    c.expect(409, "POST", "/devices", body={"mac": "001565000002"})
    c.expect(400, "POST", "/devices", body={"make": 7})
    c.expect(403, "POST", "/devices", body={"mac": "001565000009"}, token=viewer)
    c.expect(403, "POST", "/devices", body={"mac": "001565000009", "state": "staged"}, token=installer)
    c.expect(200, "GET", "/devices?state=new&site=hq&limit=5")
    c.expect(400, "GET", "/devices?state=lost")
    dev = c.expect(200, "GET", "/devices/00-15-65-00-00-02")
    c.expect(404, "GET", "/devices/001565000099")
    c.expect(404, "GET", "/devices/not-a-mac")
    c.expect(200, "PUT", "/devices/001565000002", body={"make": "Yealink", "model": "T31", "label": "hq"})
    c.expect(200, "PATCH", "/devices/001565000002", body={"serial": "S2b"})
    c.expect(409, "PATCH", "/devices/001565000002", body={"serial": "S2c", "version": dev["version"]})
    c.expect(200, "GET", "/devices/001565000002/settings")
    c.expect(200, "PUT", "/devices/001565000002/settings", body={"sip_port": 5070, "mwi_subscribe": False})
    c.expect(200, "PUT", "/devices/001565000002/settings", body={"mwi_subscribe": None})
    c.expect(400, "PUT", "/devices/001565000002/settings", body={"sip_port": "x", "colour": 1})
    c.expect(403, "PUT", "/devices/001565000002/settings", body={"sip_port": 5071}, token=viewer)
    c.expect(404, "GET", "/devices/001565000002/credentials")
    c.expect(201, "POST", "/devices/001565000002/credentials")
    c.expect(200, "GET", "/devices/001565000002/credentials")
    c.expect(403, "GET", "/devices/001565000002/credentials", token=viewer)
    c.expect(200, "POST", "/devices/001565000002/credentials/reveal")
    c.expect(204, "DELETE", "/devices/001565000002/credentials")
    c.expect(404, "POST", "/devices/001565000002/credentials/reveal")
    c.expect(200, "GET", "/devices/001565000001/resync?limit=5")
    c.expect(202, "POST", "/devices/001565000001/resync")
    c.expect(403, "GET", "/devices/001565000001/resync", token=viewer)
    # A phone's fetch: an event, its last-seen fields, what a preview shows.
    check(phone_fetch(s, "001565000001.cfg", "Yealink SIP-T31G 124.86.0.40 00:15:65:00:00:01") == 200,
          "the phone's own config is served")
    c.expect(200, "GET", "/devices/001565000001/preview/001565000001.cfg")
    c.expect(404, "GET", "/devices/001565000001/preview/nothing.cfg")
    c.expect(403, "GET", "/devices/001565000001/preview/001565000001.cfg", token=installer)
    c.expect(200, "GET", "/devices/001565000001")
    c.expect(403, "DELETE", "/devices/001565000002", token=installer)
    c.expect(204, "DELETE", "/devices/001565000002")
    c.expect(404, "DELETE", "/devices/001565000002")


def settings_events(c, viewer):
    c.expect(200, "GET", "/settings")
    c.expect(200, "GET", "/settings", token=viewer)
    c.expect(200, "PUT", "/settings", body={"sip_server": "pbx.example.net", "phone_admin_password": "Adm1nPw",
                                           "resync_interval": 3600, "mwi_subscribe": ""})
    c.expect(400, "PUT", "/settings", body={"sip_port": 0, "colour": "red"})
    c.expect(403, "PUT", "/settings", body={"sip_port": 5060}, token=viewer)
    c.expect(405, "PATCH", "/settings", body={"sip_port": 5060})
    c.expect(413, "PUT", "/settings", raw=b"{" + b" " * (1 << 20) + b"}", content_type="application/json")
    c.expect(400, "PUT", "/settings", raw=b"{\"sip_port\":", content_type="application/json")
    c.expect(200, "GET", "/license")
    # Events are written in batches: the phone's fetch shows within seconds.
    for _ in range(50):
        events = c.expect(200, "GET", "/events?outcome=served&mac=00:15:65:00:00:01&since=2020-01-01T00:00:00Z")
        if events and events["total"] >= 1:
            break
        time.sleep(0.1)
    check(events and events["total"] >= 1, "the phone's fetch is an event")
    c.expect(400, "GET", "/events?outcome=maybe&since=yesterday")
    c.expect(200, "GET", "/audit?limit=50&entity=extension")
    c.expect(400, "GET", "/audit?since=yesterday")


def bulk(c, viewer):
    csv = ("extension,callerid_name,mac,make,model,label\n"
           "3001,Carol,00:15:65:00:00:31,Yealink,T31,hq\n"
           "3002,Dan,00:15:65:00:00:32,Yealink,T31,hq\n").encode()
    c.expect(200, "POST", "/imports?dry_run=true", raw=csv, content_type="text/csv")
    c.expect(200, "POST", "/imports", raw=csv, content_type="text/csv")
    c.expect(400, "POST", "/imports", raw=b"extension,callerid_name\n,\n", content_type="text/csv")
    c.expect(400, "POST", "/imports?dry_run=perhaps", raw=csv, content_type="text/csv")
    c.expect(403, "POST", "/imports", raw=csv, content_type="text/csv", token=viewer)
    started = c.expect(202, "POST", "/imports?async=true", raw=csv, content_type="text/csv")
    job = None
    for _ in range(100):
        job = c.expect(200, "GET", f"/imports/{started['id']}")
        if job and job["state"] != "running":
            break
        time.sleep(0.1)
    check(job and job["state"] == "done", f"the background import ends done: {job}")
    bad = c.expect(202, "POST", "/imports?async=true", raw=b"extension,callerid_name\n,\n", content_type="text/csv")
    for _ in range(100):
        job = c.expect(200, "GET", f"/imports/{bad['id']}")
        if job and job["state"] != "running":
            break
        time.sleep(0.1)
    check(job and job["state"] == "failed", f"the background import of a bad file fails: {job}")
    c.expect(404, "GET", "/imports/999")
    c.expect(403, "GET", f"/imports/{started['id']}", token=viewer)
    c.expect(200, "GET", "/exports")
    check(c.raw.lstrip(b"\xef\xbb\xbf").startswith(b"mac,"), f"the export is the CSV: {c.raw[:100]!r}")
    c.expect(200, "GET", "/exports?secrets=true")
    c.expect(403, "GET", "/exports", token=viewer)


def staging(c, viewer, installer):
    c.expect(200, "GET", "/staging")
    c.expect(200, "GET", "/staging?site=hq&state=new&limit=1&offset=1")
    c.expect(400, "GET", "/staging?state=lost")
    status, first = c.stream_first_event("/staging/stream?site=hq")
    check(status == 200, f"the staging stream opens: {status}")
    data = "".join(line[5:].strip() for line in first.decode(errors="replace").splitlines()
                   if line.startswith("data:"))
    try:
        errors = list(validator({"$ref": "#/components/schemas/Staging"}).iter_errors(json.loads(data)))
        check(not errors, f"the stream's first event is a Staging view: {[e.message for e in errors][:3]}")
    except ValueError:
        check(False, f"the stream's first event carries JSON: {first[:300]!r}")
    c.expect(400, "GET", "/staging/stream?state=lost")
    c.expect(405, "POST", "/staging/stream", body={})
    c.expect(200, "GET", "/staging/windows")
    w = c.expect(201, "POST", "/staging/windows", body={"label": "hq", "minutes": 30, "max_devices": 5},
                 token=installer)
    c.expect(201, "POST", "/staging/windows", body={"macs": ["00:15:65:00:00:31"], "minutes": 10})
    c.expect(400, "POST", "/staging/windows", body={"minutes": "soon", "colour": 1})
    c.expect(403, "POST", "/staging/windows", body={"minutes": 5}, token=viewer)
    c.expect(200, "GET", "/staging/windows?open=true")
    c.expect(200, "GET", f"/staging/windows/{w['id']}")
    c.expect(404, "GET", "/staging/windows/999")
    c.expect(200, "DELETE", f"/staging/windows/{w['id']}")
    c.expect(404, "DELETE", "/staging/windows/999")


def access(c, viewer):
    c.expect(200, "GET", "/tokens")
    made = c.expect(201, "POST", "/tokens", body={"role": "viewer", "name": "short", "expires": "30d"})
    c.expect(400, "POST", "/tokens", body={"role": "boss", "colour": 1})
    c.expect(403, "GET", "/tokens", token=viewer)
    c.expect(200, "DELETE", f"/tokens/{made['id']}")
    c.expect(404, "DELETE", "/tokens/nobody")
    c.expect(405, "GET", "/tokens/short")
    c.expect(200, "GET", "/users")
    c.expect(201, "POST", "/users", body={"name": "ann", "role": "admin", "password": "Correct-horse-9"})
    c.expect(201, "POST", "/users", body={"name": "bob", "role": "viewer", "password": "Battery-staple-9"})
    c.expect(409, "POST", "/users", body={"name": "ann", "role": "admin", "password": "Correct-horse-9"})
    c.expect(400, "POST", "/users", body={"name": "cy", "role": "boss"})
    c.expect(403, "GET", "/users", token=viewer)
    c.expect(200, "GET", "/users?limit=1")
    c.expect(200, "GET", "/users/ann")
    c.expect(404, "GET", "/users/nobody")
    c.expect(200, "PATCH", "/users/bob", body={"role": "installer", "disabled": False})
    c.expect(400, "PATCH", "/users/bob", body={"disabled": "no"})
    c.expect(204, "DELETE", "/users/bob")
    c.expect(404, "DELETE", "/users/bob")
    c.expect(200, "GET", "/catalog")
    c.expect(200, "GET", "/catalog", token=viewer)
    # The portal's session: signed in by cookie, writes need the CSRF token.
    c.expect(401, "GET", "/session", token="")
    c.expect(401, "POST", "/session", body={"name": "ann", "password": "wrong"}, token="")
    c.expect(400, "POST", "/session", body={"name": "ann"}, token="")
    c.expect(400, "POST", "/session", raw=b'{"name":"ann","password":"x"}', content_type="text/plain", token="")
    session = c.expect(200, "POST", "/session", body={"name": "ann", "password": "Correct-horse-9"}, token="")
    cookie = next((v.split(";")[0] for v in c.cookies if v.startswith("prov_session=")), "")
    check(cookie.startswith("prov_session="), "the sign-in sets the session cookie")
    c.expect(200, "GET", "/session", token="", headers={"Cookie": cookie})
    c.expect(200, "GET", "/extensions/1001", token="", headers={"Cookie": cookie})
    c.expect(403, "PATCH", "/extensions/1001", body={"notes": "x"}, token="", headers={"Cookie": cookie})
    c.expect(200, "PATCH", "/extensions/1001", body={"notes": "by the portal"}, token="",
             headers={"Cookie": cookie, "X-CSRF-Token": session["csrf_token"]})
    c.expect(403, "GET", "/exports?secrets=true", token="", headers={"Cookie": cookie})
    c.expect(405, "PUT", "/session", body={}, token="")
    c.expect(403, "DELETE", "/session", token="", headers={"Cookie": cookie})
    c.expect(204, "DELETE", "/session", token="", headers={"Cookie": cookie, "X-CSRF-Token": session["csrf_token"]})
    c.expect(401, "GET", "/extensions", token="", headers={"Cookie": cookie})


def firmware(c, viewer):
    image = os.urandom(4096)
    c.expect(200, "GET", "/firmware")
    c.expect(201, "POST", "/firmware?vendor=cisco&models=8841&version=12.0.8&name=sip88xx.12-0-8MPP.loads",
             raw=image, content_type="application/octet-stream")
    check(c.headers.get("location", "").startswith("/api/v1/firmware/"), "Location of the new image")
    spare = c.expect(201, "POST", "/firmware?vendor=cisco&models=8841&version=12.0.9&name=sip88xx.12-0-9MPP.loads",
                     raw=os.urandom(2048), content_type="application/octet-stream")
    c.expect(400, "POST", "/firmware?vendor=cisco&colour=1", raw=image, content_type="application/octet-stream")
    c.expect(403, "POST", "/firmware?vendor=cisco&models=8841&version=12.0.7&name=x.loads", raw=image,
             content_type="application/octet-stream", token=viewer)
    listed = c.expect(200, "GET", "/firmware")
    c.expect(200, "GET", f"/firmware/{listed['items'][0]['id']}")
    c.expect(404, "GET", "/firmware/999")
    c.expect(404, "GET", "/firmware/x")
    c.expect(200, "PUT", "/firmware/targets", body={"vendor": "cisco", "model": "8841", "scope": "site", "key": "hq",
                                                   "version": "12.0.8"})
    c.expect(400, "PUT", "/firmware/targets", body={"vendor": "cisco", "colour": 1})
    c.expect(403, "PUT", "/firmware/targets", body={"vendor": "cisco", "model": "8841", "version": "12.0.8"},
             token=viewer)
    c.expect(200, "GET", "/firmware/targets?vendor=cisco")
    c.expect(204, "DELETE", "/firmware/targets", body={"vendor": "cisco", "model": "8841", "scope": "site", "key": "hq"})
    c.expect(404, "DELETE", "/firmware/targets", body={"vendor": "cisco", "model": "8841", "scope": "site", "key": "hq"})
    for n, mac in enumerate(["00:56:2b:04:00:01", "00:56:2b:04:00:02"], start=1):
        c.expect(201, "POST", "/extensions", body={"extension": f"400{n}", "callerid_name": f"Desk {n}", "mac": mac,
                                                   "phone_make": "Cisco", "phone_model": "8841"})
    c.expect(200, "GET", "/firmware/rollouts")
    r = c.expect(201, "POST", "/firmware/rollouts", body={"vendor": "cisco", "model": "8841", "version": "12.0.8",
                                                          "canaries": ["00:56:2b:04:00:01"], "window": "10m"})
    c.expect(409, "POST", "/firmware/rollouts", body={"vendor": "cisco", "model": "8841", "version": "12.0.8",
                                                      "canaries": ["00:56:2b:04:00:02"], "window": 600})
    c.expect(400, "POST", "/firmware/rollouts", body={"vendor": "cisco", "model": "8841", "version": "12.0.8",
                                                      "percent": True, "window": True})
    c.expect(200, "GET", "/firmware/rollouts")
    c.expect(200, "GET", f"/firmware/rollouts/{r['id']}")
    c.expect(404, "GET", "/firmware/rollouts/999")
    c.expect(403, "POST", f"/firmware/rollouts/{r['id']}/halt", token=viewer)
    c.expect(200, "POST", f"/firmware/rollouts/{r['id']}/halt", body={"reason": "wrong build"})
    c.expect(409, "POST", f"/firmware/rollouts/{r['id']}/halt")
    c.expect(200, "POST", f"/firmware/rollouts/{r['id']}/rollback")
    c.expect(409, "POST", f"/firmware/rollouts/{r['id']}/rollback")
    c.expect(405, "GET", f"/firmware/rollouts/{r['id']}/halt")
    c.expect(204, "DELETE", f"/firmware/{spare['id']}")
    c.expect(404, "DELETE", f"/firmware/{spare['id']}")


def resync(c, viewer):
    c.expect(200, "GET", "/resync?limit=10")
    c.expect(202, "POST", "/resync", body={"all": True})
    c.expect(202, "POST", "/resync", body={"site": "hq"})
    c.expect(400, "POST", "/resync", body={"site": "hq", "all": True})
    c.expect(403, "GET", "/resync", token=viewer)
    c.expect(403, "POST", "/resync", body={"all": True}, token=viewer)


def blocked(c):
    """Last: failed authentications block the source (429, Retry-After)."""
    for _ in range(30):
        c.call("GET", "/license", token="prov_not-a-token")
        if c.status == 429:
            break
        check(c.status == 401, f"a bad token is 401 until the block: {c.status}")
    check(c.status == 429, "failed authentications end in 429")
    c.expect(429, "GET", "/openapi.json", token="")


def main():
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="prov-openapi.")
    os.makedirs(os.path.join(work, "fw"))
    s = Server(work, BIN, TEMPLATES, None, [f"firmware.dir={work}/fw", "smtp.host=127.0.0.1",
                      f"smtp.port={closed_port()}", "smtp.from=pbx@example.com", "smtp.starttls=off",
                      "invitations.base_url=https://phones.example.com"])
    try:
        c = Client(s)
        served_description(c, s)
        viewer = c.expect(201, "POST", "/tokens", body={"role": "viewer", "name": "viewer"})["token"]
        installer = c.expect(201, "POST", "/tokens", body={"role": "installer", "name": "installer"})["token"]
        extensions(c, viewer)
        devices(c, viewer, installer, s)
        settings_events(c, viewer)
        bulk(c, viewer)
        staging(c, viewer, installer)
        access(c, viewer)
        firmware(c, viewer)
        resync(c, viewer)
        blocked(c)
    finally:
        s.stop()
    # Every described route was called, and answered a success at least once.
    for tmpl, item in DOC["paths"].items():
        for method in (m for m in item if m in METHODS):
            statuses = seen.get((tmpl, method.upper()), set())
            check(any(200 <= x < 300 for x in statuses),
                  f"{method.upper()} {tmpl} was never answered with a success (saw {sorted(statuses)})")
    elapsed = time.monotonic() - started
    calls = sum(len(v) for v in seen.values())
    print(f"openapi: {len(seen)} (path, method) pairs, {calls} distinct statuses, {elapsed:.1f} s")
    if failures:
        print(f"kept {work} for inspection", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passes} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
