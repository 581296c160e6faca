"""Times FHIR searches one after another on one kept-alive connection, as a partner system pages through its referrals:
a warm-up, then a fixed number of timed requests. Each answer must be a 200 searchset Bundle with the entries asked
for, or the run fails. Prints one JSON object with the percentiles.

    fhir_search.py --port P --token T --path '/fhir/r4/ServiceRequest?_count=20' [--follow-next 10] [--requests 500]

With --follow-next N the requests walk the search's next links N pages deep and start again from the first page, so
deeper pages are timed as well as the first."""
import argparse
import json
import socket
import sys
import time


class Connection:
    def __init__(self, port):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def get(self, path, token):
        self.socket.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                            "Accept: application/fhir+json\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.socket.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next((int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:")), 0)
        while len(self.buffer) < length:
            self.buffer += self.socket.recv(65536)
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), body


def percentile(values, p):
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--follow-next", type=int, default=0)
    parser.add_argument("--count", type=int, default=20, help="entries each page must hold")
    args = parser.parse_args()

    connection = Connection(args.port)
    latencies, path, depth = [], args.path, 0
    for n in range(args.warmup + args.requests):
        started = time.perf_counter()
        status, body = connection.get(path, args.token)
        elapsed = time.perf_counter() - started
        bundle = json.loads(body)
        if status != 200 or bundle.get("resourceType") != "Bundle" or len(bundle.get("entry", [])) != args.count:
            sys.exit(f"{path}: {status}, {len(bundle.get('entry', []))} entries: {body[:300]!r}")
        if n >= args.warmup:
            latencies.append(elapsed)
        next_url = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)
        depth += 1
        if args.follow_next and next_url and depth < args.follow_next:
            path = "/fhir/r4/" + next_url.split("/fhir/r4/", 1)[1]
        else:
            path, depth = args.path, 0
    latencies.sort()
    ms = lambda seconds: round(seconds * 1000, 2)
    json.dump({"requests": len(latencies), "p50_ms": ms(percentile(latencies, 50)), "p95_ms": ms(percentile(latencies, 95)),
               "p99_ms": ms(percentile(latencies, 99)), "max_ms": ms(latencies[-1]), "mean_ms": ms(sum(latencies) / len(latencies))},
              sys.stdout)
    print()


main()
