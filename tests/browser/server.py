"""The real provisioner binary on port 0, for the browser tests and
tests/integration/openapi_test.py (the way tests/integration/lib.sh starts
it): a scratch store, ports.json read back, the admin token from admin-token,
and a small API client. `extra` are more -D key=value settings (the licence,
the SMTP relay, the invitations); `portal` None serves no portal."""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request


class Server:
    def __init__(self, work, binary, templates, portal, extra=()):
        self.work = work
        # The server runs in `work`: relative paths would point elsewhere.
        binary, templates = os.path.abspath(binary), os.path.abspath(templates)
        self.binary = binary
        self.templates = templates
        self.store = os.path.join(work, "store.db")
        ports_file = os.path.join(work, "ports.json")
        args = [binary, "serve", "-D", f"store.path={self.store}", "-D", f"templates.dir={templates}",
                "-D", "admin.port=0", "-D", "http.port=0", "-D", "https.port=0",
                "-D", "tftp.port=0", "-D", f"ports.file={ports_file}",
                "-D", "provisioning.allow_networks=127.0.0.0/8, ::1/128", "-D", "resync.route=off"]
        if portal is not None:
            args += ["-D", f"portal.dir={os.path.abspath(portal)}"]
        for kv in extra:
            args += ["-D", kv]
        self.stdout = open(os.path.join(work, "stdout"), "w")
        self.stderr = open(os.path.join(work, "stderr"), "w")
        self.proc = subprocess.Popen(args, stdout=self.stdout, stderr=self.stderr, cwd=work)
        for _ in range(100):
            if os.path.exists(ports_file) and os.path.getsize(ports_file) > 0:
                break
            if self.proc.poll() is not None:
                raise RuntimeError("server exited early: " + open(os.path.join(work, "stderr")).read())
            time.sleep(0.1)
        ports = json.load(open(ports_file))
        self.admin_port = ports["admin"]
        self.http_port = ports["http"]
        self.https_port = ports["https"]  # the phones' HTTPS port: the invitation pages
        self.base = f"http://127.0.0.1:{self.admin_port}"
        self.token = open(os.path.join(work, "admin-token")).read().split()[0]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def cli(self, *args):
        out = subprocess.run([self.binary, *args, "-D", f"store.path={self.store}",
                              "-D", f"templates.dir={self.templates}"],
                             capture_output=True, text=True, timeout=30, check=True)
        return out.stdout.strip()

    def api(self, method, path, body=None, token=None):
        """Returns (status, parsed JSON or None)."""
        data = None
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(f"{self.base}/api/v1{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, None

    def phone_fetch(self, file, user_agent):
        """A phone's GET on the provisioning port, with its real User-Agent."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.http_port}/{file}",
                                     headers={"User-Agent": user_agent})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
