"""A real SMTP server on loopback for the notice tests (aiosmtpd): STARTTLS or implicit TLS with a certificate made for the
run, AUTH PLAIN and LOGIN with one user, and every message kept, parsed, for the test to read."""
import email
import email.policy
import os
import ssl
import subprocess
import tempfile
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "koppel"
# Characters a URL must escape, so the client's decoding is tried too.
PASSWORD = "s3cret p@ss:wörd"
PASSWORD_IN_URL = "s3cret%20p%40ss%3Aw%C3%B6rd"


def make_certificate(directory):
    """A self-signed certificate for localhost and 127.0.0.1: its own authority, which Koppel is told to trust."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "2"], check=True, capture_output=True)
    return cert, key


class Message:
    def __init__(self, envelope, session, tls):
        self.mail_from = envelope.mail_from
        self.recipients = list(envelope.rcpt_tos)
        self.raw = envelope.original_content or envelope.content
        self.parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        self.authenticated = session.authenticated
        self.tls = tls
        self.received_at = time.time()

    @property
    def subject(self):
        return str(self.parsed["subject"])

    def part(self, content_type):
        for part in self.parsed.walk():
            if part.get_content_type() == content_type:
                return part.get_content()
        return None

    @property
    def text(self):
        return self.part("text/plain") or ""

    @property
    def html(self):
        return self.part("text/html") or ""


class MailServer:
    """mode: 'starttls' (STARTTLS and AUTH required), 'smtps' (TLS from the first byte), or 'plain' (no STARTTLS offered).
    mechanisms: AUTH mechanisms offered. A fixed port lets a test stop the server and start it again where Koppel looks."""

    def __init__(self, certificate, mode="starttls", mechanisms=("PLAIN", "LOGIN"), port=0):
        self.messages, self.auth_log, self.commands = [], [], []
        self.mode, self.lock = mode, threading.Lock()
        cert, key = certificate
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        options = dict(authenticator=self._authenticate, auth_required=True,
                       auth_exclude_mechanism=[m for m in ("PLAIN", "LOGIN") if m not in mechanisms])
        if mode == "starttls":
            options.update(tls_context=context, require_starttls=True, auth_require_tls=True)
        elif mode == "smtps":
            # aiosmtpd counts only STARTTLS as TLS: on implicit TLS, AUTH must be allowed "without" it to be offered.
            options.update(ssl_context=context, auth_require_tls=False)
        else:
            options.update(auth_require_tls=False)
        self.port = port or self._free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, server_hostname="localhost", **options)
        self.controller.start()

    @staticmethod
    def _free_port():
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        with self.lock:
            self.auth_log.append((mechanism, ok))
        # handled=False: aiosmtpd answers 535 itself (with True the client would wait for an answer forever).
        return AuthResult(success=ok, handled=False)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.commands.append("MAIL")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        with self.lock:
            self.messages.append(Message(envelope, session, tls))
        return "250 Message accepted for delivery"

    def url(self, scheme=None, password=PASSWORD_IN_URL):
        scheme = scheme or ("smtps" if self.mode == "smtps" else "smtp")
        return f"{scheme}://{USER}:{password}@localhost:{self.port}"

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if address in m.recipients]

    def wait_for(self, condition, message, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if condition():
                    return
            time.sleep(0.1)
        raise AssertionError(message)

    def stop(self):
        self.controller.stop()


def certificate_directory():
    return tempfile.mkdtemp(prefix="koppel-smtp-")
