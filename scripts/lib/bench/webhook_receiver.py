"""A minimal webhook receiver for the delivery benchmark: answers 204 at once on kept-alive connections and notes,
per request, when it arrived and the event's own timestamp (when its change was committed). On SIGTERM it writes
what it noted to the file named on the command line."""
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, out = int(sys.argv[1]), sys.argv[2]
noted, lock = [], threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        arrived = time.time()
        with lock:
            noted.append((arrived, self.headers.get("webhook-id"), json.loads(body)["timestamp"]))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self):  # how many so far, for the script to wait on
        with lock:
            count = str(len(noted)).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(count)))
        self.end_headers()
        self.wfile.write(count)

    def log_message(self, *arguments):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
server.daemon_threads = True


def stop(*_):
    with lock, open(out, "w") as file:
        json.dump(noted, file)
    threading.Thread(target=server.shutdown).start()


signal.signal(signal.SIGTERM, stop)
server.serve_forever()
