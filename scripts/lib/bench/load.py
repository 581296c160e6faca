"""Drives Koppel over HTTP on loopback with a fixed number of concurrent clients, each on its own kept-alive
connection, and reports requests per second and latency percentiles. Standard library only."""
import argparse
import asyncio
import json
import statistics
import sys
import time


async def request(reader, writer, head: bytes, body: bytes):
    writer.write(head + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def client(args, paths, deadline, latencies, failures, index):
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    body = args.body.encode() if args.body else b""
    n = index
    while time.monotonic() < deadline:
        path = paths[n % len(paths)]
        n += args.clients
        head = (f"{args.method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {args.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        started = time.perf_counter()
        status = await request(reader, writer, head, body)
        latencies.append(time.perf_counter() - started)
        if status >= 300:
            failures.append(status)
    writer.close()


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


async def main():
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
    for phase, seconds in (("warmup", args.warmup), ("measure", args.seconds)):
        latencies, failures = [], []
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        await asyncio.gather(*(client(args, args.path, deadline, latencies, failures, i) for i in range(args.clients)))
        elapsed = time.monotonic() - started
    latencies.sort()
    result = {
        "requests": len(latencies), "failures": len(failures), "failure_statuses": sorted(set(failures)),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2), "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
    }
    json.dump(result, sys.stdout)
    print()


asyncio.run(main())
