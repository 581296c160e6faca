"""A partner's webhook receiver on loopback, as a partner would write it: every delivery is verified with the
`standardwebhooks` package (Standard Webhooks 1.0) under the secret of the path it came to, and recorded. What it
answers can be planned per path (say 500 once, then 200; or 410 always)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


class Delivery:
    def __init__(self, path, headers, body, verified, answered, received_at):
        self.path = path
        self.webhook_id = headers.get("webhook-id")
        self.headers = headers
        self.body = body
        self.verified = verified
        self.answered = answered
        self.received_at = received_at

    @property
    def event(self):
        return json.loads(self.body)


class Receiver:
    def __init__(self):
        self.secrets = {}  # path -> [secrets]; a delivery verifies when any of them does
        self.plans = {}  # path -> [status, ...] answered in turn; 200 after the last
        self.always = {}  # path -> status answered every time
        self.delay = 0.0  # seconds before answering, to keep deliveries in flight
        self.deliveries = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length).decode()
                headers = {name.lower(): value for name, value in self.headers.items()}
                status = receiver.answer(self.path)
                if receiver.delay:
                    time.sleep(receiver.delay)
                verified = receiver.verify(self.path, body, headers)
                with receiver.lock:
                    receiver.deliveries.append(Delivery(self.path, headers, body, verified, status, time.time()))
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender went away (the fault tests kill it)

            def log_message(self, *arguments):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path):
        with self.lock:
            if path in self.always:
                return self.always[path]
            plan = self.plans.get(path) or []
            return plan.pop(0) if plan else 200

    def verify(self, path, body, headers):
        for secret in self.secrets.get(path, []):
            try:
                Webhook(secret).verify(body, headers)
                return True
            except Exception:
                continue
        return False

    def received(self, path=None, answered=None):
        with self.lock:
            return [d for d in self.deliveries if (path is None or d.path == path) and (answered is None or d.answered == answered)]

    def wait_for(self, condition, message, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError(message)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
