"""A local SMTP sink for the invitation tests (python3-aiosmtpd): STARTTLS
with the given certificate, AUTH (PLAIN, LOGIN) required after TLS, each
message saved as <dir>/<n>.eml. Prints nothing; writes its port to
<dir>/port once it listens. Usage: smtp_sink.py DIR CERT KEY USER PASSWORD [PORT]"""

import os
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

out_dir, cert, key, user, password = sys.argv[1:6]
port = int(sys.argv[6]) if len(sys.argv) > 6 else 0
if port == 0:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()


class Saver:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Saver.count += 1
        path = os.path.join(out_dir, "%d.eml" % Saver.count)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        with open(os.path.join(out_dir, "auth.log"), "a") as f:
            f.write("tls=%s auth=%s rcpt=%s\n" % (session.ssl is not None, bool(session.authenticated),
                                                  ",".join(envelope.rcpt_tos)))
        return "250 2.0.0 Ok: saved as %d" % Saver.count


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
          and auth_data.password.decode() == password)
    return AuthResult(success=ok)


context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
controller = Controller(Saver(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_required=True)
controller.start()
with open(os.path.join(out_dir, "port.tmp"), "w") as f:
    f.write(str(port))
os.rename(os.path.join(out_dir, "port.tmp"), os.path.join(out_dir, "port"))
try:
    while True:
        time.sleep(1)
except KeyboardInterrupt:
    pass
finally:
    controller.stop()
