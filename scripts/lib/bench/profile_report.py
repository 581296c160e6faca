"""The CPU profile scripts/profile-requests took, as a table of where the server's time goes per kind of work; printed,
and with a third argument written into that file's `cpu-profile` section.

    profile_report.py RUN_DIR COMMIT [docs/benchmarks.md]
"""
import datetime
import json
import os
import re
import sys

run_dir, commit = sys.argv[1], sys.argv[2]
target = sys.argv[3] if len(sys.argv) > 3 else None

# First match wins. Swift symbols are matched in their mangled form too, where a module's name follows its length.
KINDS = [
    ("the kernel: system calls, TCP on loopback, scheduling", lambda s, k: k),
    ("PostgreSQL driver (PostgresNIO: messages, rows, decoding)", lambda s, k: "PostgresNIO" in s),
    ("JSON (encoding answers, decoding bodies)", lambda s, k: re.search(r"JSON|Codable|Encoder|Decoder|Encodable|Decodable", s)),
    ("HTTP (Hummingbird, NIOHTTP1, HTTP types)", lambda s, k: re.search(r"Hummingbird|NIOHTTP1|HTTPTypes|llhttp|c_nio_llhttp", s)),
    ("logging, metrics, tracing", lambda s, k: re.search(r"Logging|Metrics|Prometheus|Tracing|OTel|ServiceContext", s)),
    ("Koppel's own code (handlers, store, domain)", lambda s, k: re.search(r"Koppel", s)),
    ("SwiftNIO (event loops, channels, buffers)", lambda s, k: re.search(r"NIOCore|NIOPosix|NIOConcurrency|NIOAsync|_NIO|epoll", s)),
    ("Foundation (dates, strings, UUIDs, formatting)", lambda s, k: re.search(r"Foundation|CoreFoundation|_CF|icu", s)),
    ("Swift runtime: reference counting, allocation, generics, tasks",
     lambda s, k: re.search(r"swift_|^_?malloc|^_?free|^_int_|^cfree|tcache|\$ss|Swift|libswift|pthread|__memmove|__memcpy|__memset", s)),
]
OTHER = "other (libc, unresolved)"


def kinds(path):
    shares, top = {}, []
    for line in open(path):
        m = re.match(r"\s*([0-9.]+)%\s+\[(.)\]\s+(.*)", line)
        if not m:
            continue
        # perf pads the symbol's column and may put call-graph marks after it.
        share, mark, symbol = float(m.group(1)), m.group(2), re.split(r"\s{2,}", m.group(3).strip())[0]
        kind = next((name for name, test in KINDS if test(symbol, mark == "k")), OTHER)
        shares[kind] = shares.get(kind, 0) + share
        top.append((share, symbol, kind))
    return shares, top[:12]


# Synchronous steps whose time, with everything they call, says what they cost (first match of each, the outermost).
# Async functions are left out: perf sees them in pieces, split at each suspension, so their sums would mislead.
STEPS = [
    ("checking the request against the contract (`ContractValidator`)", r"ContractValidator.*problem"),
    ("decoding a referral row", r"ReferralRow.*decode"),
    ("JSON decoding (the body; a submission's consent provisions)", r"JSONDecoder.*decode"),
    ("JSON encoding (the answer)", r"JSONEncoder.*encode"),
    ("the request's span and trace ids", r"Spans.*start"),
]


def steps(path):
    found = {}
    for line in open(path):
        m = re.match(r"\s*([0-9.]+)%\s+([0-9.]+)%\s+\[.\]\s+(.*)", line)
        if not m:
            continue
        for name, pattern in STEPS:
            if name not in found and re.search(pattern, m.group(3)):
                found[name] = float(m.group(1))
    return found


def figures(name):
    load = json.load(open(os.path.join(run_dir, f"profile-{name}.json")))
    shares, top = kinds(os.path.join(run_dir, f"profile-{name}.txt"))
    inclusive = os.path.join(run_dir, f"profile-{name}-inclusive.txt")
    return load, shares, top, steps(inclusive) if os.path.exists(inclusive) else {}


read, submit = figures("read"), figures("submit")
names = [name for name, _ in KINDS] + [OTHER]
rows = "\n".join(
    f"| {name} | {read[1].get(name, 0):.0f}% | {read[0]['server_cpu_ms'] * read[1].get(name, 0) / 100:.2f} ms "
    f"| {submit[1].get(name, 0):.0f}% | {submit[0]['server_cpu_ms'] * submit[1].get(name, 0) / 100:.2f} ms |"
    for name in names)


def short(symbol):
    symbol = symbol.strip()
    return symbol if len(symbol) <= 90 else symbol[:87] + "…"


step_rows = "\n".join(
    f"| {name} | {read[3].get(name, 0):.1f}% | {submit[3].get(name, 0):.1f}% |" for name, _ in STEPS)
tops = "\n".join(f"- reads: {share:.1f}% `{short(symbol)}`" for share, symbol, _ in read[2][:6])
tops += "\n" + "\n".join(f"- submissions: {share:.1f}% `{short(symbol)}`" for share, symbol, _ in submit[2][:6])

text = f"""<!-- cpu-profile -->
## Where Koppel's own CPU goes per request

Measured by `scripts/profile-requests` on {datetime.date.today()}, commit `{commit}`, on the cluster a benchmark left
(`KOPPEL_BENCH_KEEP=1 scripts/bench`), with its release build and settings: 32 clients, the server sampled by
`perf record -g` at 499 Hz; CPU per request from `/proc` for the server and for every PostgreSQL backend of the
database.

| | read of one referral | | submission | |
|---|---:|---:|---:|---:|
| requests a second | {read[0]['per_second']:.0f} | | {submit[0]['per_second']:.0f} | |
| Koppel's CPU per request | {read[0]['server_cpu_ms']} ms | | {submit[0]['server_cpu_ms']} ms | |
| PostgreSQL's CPU per request | {read[0]['postgres_cpu_ms']} ms | | {submit[0]['postgres_cpu_ms']} ms | |
| the server's peak memory so far | {read[0]['peak_rss_mb']} MB | | {submit[0]['peak_rss_mb']} MB | |

Koppel's CPU by kind of work (share of the server's samples, and per request):

| kind of work | reads | per read | submissions | per submission |
|---|---:|---:|---:|---:|
{rows}

Some synchronous steps with everything they call (share of all the server's samples; 0 where a request has no such step):

| step | reads | submissions |
|---|---:|---:|
{step_rows}

The functions with the most samples of their own:
{tops}
<!-- /cpu-profile -->"""
print(text)
if target:
    previous = open(target).read()
    if "<!-- cpu-profile -->" in previous:
        updated = re.sub(r"<!-- cpu-profile -->.*<!-- /cpu-profile -->", lambda _: text, previous, flags=re.S)
    else:
        updated = previous.rstrip("\n") + "\n\n" + text + "\n"
    open(target, "w").write(updated)
