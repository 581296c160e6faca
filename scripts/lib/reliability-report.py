"""Writes docs/reliability.md from a run of scripts/faults: each scenario's result (from pytest's JUnit XML) and the
figures it reported, with the machine, the commit and the date.
Usage: reliability-report.py RESULTS.xml FIGURES.jsonl SECONDS"""
import datetime
import json
import os
import platform
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

INTRO = """# Reliability: Koppel under faults

What `scripts/faults` proves on every run (issue 22, item 4), each scenario a test in `Tests/browser/faults/` that
passes or fails. Everything runs on loopback, on PostgreSQL clusters of the harness's own, and stops by itself; the
same scenarios run in small in every `scripts/test` (and so in CI): 3 kills instead of 20, one restart, one failover,
one SIGTERM. This file is written by `scripts/faults` from its last run; do not edit the figures by hand.

| scenario | what must hold |
| --- | --- |
| two replicas behind nginx | a web session made on one replica is valid on the other (and ends on both at sign-out); two coordinators accepting the last place through different replicas: exactly one wins, the other gets 409 (all places taken); a POST with an `Idempotency-Key` retried on the other replica gets the first answer and files nothing twice |
| `kill -9` of a replica under load | 8 clients file referrals through nginx and retry each with the same `Idempotency-Key` until it is acknowledged; a replica is killed 20 times (alternately, restarted on its port): 0 acknowledged referrals lost, 0 filed twice, each referral with its one `submit` event, its one `referral.submitted` outbox row and the one stored answer of its key (checked in SQL) |
| PostgreSQL restarted under load | `pg_ctl restart -m fast` 5 times under 8 clients: Koppel stays up and answers only 201 or 503 with `Retry-After` (answers within 15 s), files again within 5 s of PostgreSQL accepting connections, nothing acknowledged lost |
| failover | Koppel reaches PostgreSQL through HAProxy (standing in for CloudNativePG's `-rw` service); the primary, with a synchronous streaming replica, dies (`pg_ctl stop -m immediate`), the replica is promoted (`pg_ctl promote`) and HAProxy is switched to it (configuration rewritten, reloaded): Koppel files again by itself within 15 s of the switch, and every referral it acknowledged is on the new primary |
| SIGTERM behind a balancer | two replicas behind HAProxy, which follows `/readyz` as a Kubernetes Service follows readiness (checks every 100 ms, two to change its mind); 8 clients; a replica gets SIGTERM 10 times (alternately, restarted on its port) with a 2 s drain: every request is answered 201, none is cut, reset or refused; each replica exits 0, not before its drain; nothing acknowledged lost or filed twice |
| SIGTERM straight to the process | 8 clients, each request on a new connection to the one process, no balancer; SIGTERM 10 times: every request the server read gets a complete answer (201, or 503 with `Retry-After`), none it read is cut; exit 0 within the bound; what it acknowledged is in the database. Connections it never read are reset by the kernel when the listener closes: counted ("reset before read"), not failed (see Findings) |

How the figures are measured: "writes failed" in the failover is from the last referral acknowledged before the
primary died to the first acknowledged after; "serves again" after a restart is from `pg_ctl restart -w` returning
(PostgreSQL accepts connections) to the first referral filed by a request sent after that, by the 8 clients or by a
newcomer who sends a new request every 0.25 s from that moment ("the 8 clients filed again" counts theirs only), and
"longest without a filing" the longest gap between two acknowledged referrals around it; a request still unanswered
at the 10 s request deadline gets its 503 then (decision 0013 says why some are held that long), counted as "answers
at the request deadline"; clients retry 0.1 s after a failure. The clients are Python threads on the same 2 cores as Koppel, nginx and PostgreSQL, so the figures are
those of a loaded small machine, not of production hardware.
"""

FINDINGS = """## Findings

**Straight to a stopping process, connections it never read are reset** (by design of TCP; settled by the balancer
scenario). Under load with no balancer, a stop resets a few connections with no answer at all ("reset before read" in
the figures; 4 to 10 in 5 or 10 stops of 8 busy clients). None was filed (its `Idempotency-Key` is not stored) and the
server logged none of them, so nothing was done for them and a retry is safe. They are the listener's queue when it
closes, and connections accepted in the same instant whose request was not read yet (Hummingbird 2.28.1's graceful
shutdown closes at once every connection with no request under way). No process can close a listening socket without
Linux resetting what is queued on it, so the answer is the one every deployment of Koppel has: a balancer that
follows readiness. At SIGTERM `/readyz` answers 503 and, with `http.drain-seconds`, the replica goes on serving that
long before it closes its listener; the balancer has stopped sending by then, and nothing is reset (the balancer
scenario: 0 of every request, each stop). The Kubernetes deployment has that (readiness probe, drain, preStop). nginx in
the one-VM deployment does not ask `/readyz`, so its release steps take a replica out of nginx's upstream (`down`,
`systemctl reload nginx`) before restarting it (`deploy/vm/README.md`).
Narrowing the window for a process with no balancer (stop accepting, give accepted connections a moment to be read,
then quiesce) would need a change in Hummingbird's shutdown and is not made.

**A restart once left the 8 clients without a filing for 6.2 s after PostgreSQL was back** (2026-12-07, one restart
of five, at 1cee118; the scenario failed). The test then counted only the 8 busy clients' requests, and requests a
restart catches can be held until the 10 s request deadline (decision 0013; 7 to 13 such answers per five restarts
in the runs here), so the 6.2 s may be the clients waiting on held requests rather than Koppel refusing new ones;
that run did not record enough to tell. The run of 2026-12-07 00:24 UTC shows that pattern: after one restart the 8
clients filed again only after 2.56 s, while a newcomer's referral was filed 0.05 s after PostgreSQL was back. The
scenario now also sends a newcomer's request every 0.25 s after PostgreSQL is back and holds Koppel to 5 s on the
first referral filed by anyone, reports the 8 clients' own time beside it, and reports its figures before its checks
so that a failing run shows them.

**Failover: Koppel files again about 3.2 s after HAProxy points at the new primary** (a figure, not a failure: the
bound is 15 s). The primary's death, the promotion and the switch take a fraction of a second; the rest of the
"writes failed" time passes before a request sent after the switch is filed. Where those 3 s go is not traced yet:
PostgresNIO's reconnection backoff (100 ms × 1.25 per failed attempt) and requests waiting for a pool connection are
the candidates. Koppel needs no restart and no operator step to follow the new primary.
"""


def run(*command):
    try:
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT).stdout.strip() or ""
    except OSError:
        return ""


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    memory = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    postgres = run("/usr/lib/postgresql/15/bin/postgres", "--version") or run("postgres", "--version")
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip().replace("nginx version: ", "")
    haproxy = (run("haproxy", "-v").splitlines() or [""])[0].replace("HAProxy version ", "HAProxy ").split(" - ")[0]
    return (f"{os.cpu_count()} cores ({model}), {memory / 1024 / 1024:.1f} GB, {platform.system()} {platform.release()}; "
            f"{postgres}, {nginx}, {haproxy}")


def main(results, figures_file, seconds):
    cases = []
    for case in ElementTree.parse(results).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        skipped = case.find("skipped")
        if skipped is not None and "xfail" in (skipped.get("type") or ""):
            outcome, problem = "FAILED, a known defect (see Findings)", skipped
        elif skipped is not None:
            outcome, problem = "skipped", skipped
        else:
            outcome = "FAILED" if problem is not None else "passed"
        message = (problem.get("message") or "").splitlines()[0][:400] if problem is not None else ""
        cases.append((case.get("classname", "").split(".")[-1], case.get("name"), float(case.get("time", 0)), outcome, message))
    figures = [json.loads(line) for line in open(figures_file)] if os.path.exists(figures_file) else []

    commit = run("git", "rev-parse", "--short", "HEAD")
    if run("git", "status", "--porcelain", "--untracked-files=no"):
        commit += " with uncommitted changes"
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    passed = sum(1 for case in cases if case[3] == "passed")
    out = [INTRO, "## Last run", "",
           f"{date}, commit {commit}, {seconds} s for the whole run of `scripts/faults` (the debug build `scripts/test` "
           f"uses; PostgreSQL with fsync off, as no scenario crashes the machine). Machine: {machine()}.", "",
           f"{passed} of {len(cases)} scenarios passed.", "",
           "| test | result | seconds |", "| --- | --- | --- |"]
    for module, name, duration, outcome, message in cases:
        out.append(f"| `{module}::{name}` | {outcome}{': ' + message.replace('|', '/') if message else ''} | {duration:.0f} |")
    out += ["", "### Figures", ""]
    for figure in figures:
        scenario = figure.pop("scenario")
        figure.pop("full", None)
        out.append(f"- **{scenario}**: " + ", ".join(figure_text(key, value) for key, value in figure.items()))
    out += ["", FINDINGS]
    print("\n".join(out))


def figure_text(key, value):
    """`writes_failed_s`, 3.43 as "writes failed 3.43 s"."""
    unit = next((unit for unit in ("s", "ms") if key.endswith("_" + unit)), "")
    label = key[:-len(unit) - 1] if unit else key
    return f"{label.replace('_', ' ')} {format_value(value)}{' ' + unit if unit else ''}"


def format_value(value):
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k}: {v}" for k, v in value.items()) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
