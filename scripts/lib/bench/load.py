"""Drives Koppel over HTTP on loopback with a fixed number of concurrent clients, each a thread on its own
kept-alive connection (TCP_NODELAY), and reports requests per second and latency percentiles."""
import argparse
import json
import socket
import statistics
import sys
import threading
import time


class Connection:
    def __init__(self, port):
        self.socket = socket.create_connection(("127.0.0.1", port))
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def exchange(self, message: bytes) -> int:
        self.socket.sendall(message)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.socket.recv(65536)
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next((int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:")), 0)
        while len(self.buffer) < length:
            self.buffer += self.socket.recv(65536)
        self.buffer = self.buffer[length:]
        return int(lines[0].split()[1])


def client(args, index, deadline, latencies, failures):
    connection = Connection(args.port)
    body = args.body.encode()
    n = index
    while time.monotonic() < deadline:
        path = args.path[n % len(args.path)]
        n += args.clients
        message = (f"{args.method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {args.token}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        started = time.perf_counter()
        status = connection.exchange(message)
        latencies.append(time.perf_counter() - started)
        if status >= 300:
            failures.append(status)


def run(args, seconds):
    latencies, failures = [], []
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=client, args=(args, i, deadline, latencies, failures)) for i in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, time.monotonic() - started


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--path", action="append", required=True, help="repeat to rotate over several paths")
    parser.add_argument("--body", default="")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    args = parser.parse_args()
    run(args, args.warmup)
    latencies, failures, elapsed = run(args, args.seconds)
    latencies.sort()
    json.dump({
        "requests": len(latencies), "failures": len(failures), "failure_statuses": sorted(set(failures)),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2), "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
    }, sys.stdout)
    print()


main()
