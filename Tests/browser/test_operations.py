"""Operating Koppel as a process: shutdown on SIGTERM, PostgreSQL going away and coming back,
the migration command refusing an edited migration, and logs that hold no secrets."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

from conftest import KoppelServer

CLUSTER = os.environ.get("KOPPEL_E2E_CLUSTER", "")


def pg_ctl(*arguments, check=True):
    command = [os.environ["KOPPEL_E2E_PG_CTL"], "-D", os.path.join(CLUSTER, "data"), *arguments]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--"] + command
    return subprocess.run(command, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def start_postgresql():
    pg_ctl("start", "-w", "-t", "60", "-l", os.path.join(CLUSTER, "postgres.log"))


def stop_postgresql():
    pg_ctl("stop", "-w", "-t", "60", "-m", "fast")


def test_sigterm_stops_the_server_cleanly():
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"])
    try:
        assert server.status("/readyz") == 200
    finally:
        started = time.monotonic()
        assert server.stop() == 0
    assert time.monotonic() - started < 15
    assert server.status("/healthz") == 0


def test_on_sigterm_readiness_turns_503_while_requests_are_still_served():
    """With a drain, a load balancer that polls /readyz sees the replica leave before its listener closes."""
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"], extra_env={"KOPPEL_HTTP_DRAIN_SECONDS": "3"})
    stopped = None
    try:
        assert server.status("/readyz") == 200
        server.process.terminate()
        stopped = time.monotonic()
        server.wait_until(lambda: server.status("/readyz") == 503, "readyz stayed 200 after SIGTERM", timeout=2)
        assert server.status("/healthz") == 200, "the process is still alive and says so"
        assert server.status("/api/v1/programmes") == 200, "requests are still served while draining"
        assert server.process.wait(timeout=20) == 0
        assert time.monotonic() - stopped >= 3, "the listener closed before the drain was over"
    finally:
        if server.process.poll() is None:
            server.stop()


@pytest.mark.skipif(not CLUSTER, reason="needs the throwaway cluster scripts/test starts, to stop and restart it")
def test_starts_with_postgresql_down_and_recovers_when_it_returns():
    stop_postgresql()
    server = None
    try:
        server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"])
        assert server.status("/healthz") == 200
        assert server.status("/readyz") == 503
        assert server.status("/api/v1/programmes") == 503

        start_postgresql()
        server.wait_until(lambda: server.status("/readyz") == 200, "readyz did not recover after PostgreSQL came back")
        assert server.status("/api/v1/programmes") == 200

        # And when it goes away while serving, the server reports it and stays up.
        stop_postgresql()
        server.wait_until(lambda: server.status("/readyz") == 503, "readyz stayed 200 with PostgreSQL stopped", timeout=15)
        assert server.process.poll() is None
        start_postgresql()
        server.wait_until(lambda: server.status("/readyz") == 200, "readyz did not recover the second time")
    finally:
        if pg_ctl("status", check=False) != 0:  # leave PostgreSQL running for the tests after this one
            start_postgresql()
        if server:
            assert server.stop() == 0


def test_logs_are_structured_and_hold_no_password(koppel):
    koppel.status("/api/v1/programmes?token=not-for-logs")
    koppel.status("/nowhere")
    # A caller's W3C trace is kept: the log line joins it, and the answer names this server's span in it.
    trace, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    traced = urllib.request.Request(koppel.url + "/api/v1/programmes", headers={"traceparent": f"00-{trace}-{parent}-01"})
    with urllib.request.urlopen(traced, timeout=10) as answer:
        version, answered_trace, span, flags = answer.headers["traceresponse"].split("-")
    assert (version, answered_trace, flags) == ("00", trace, "01") and span != parent
    lines = [json.loads(line) for line in koppel.logs().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("message") == "request"]
    assert requests, "no request log lines"
    assert all(line.get("request_id") for line in requests)
    assert {"http.method", "http.path", "http.status", "duration_ms", "trace_id", "span_id"} <= set(requests[-1])
    joined = [line for line in requests if line.get("trace_id") == trace]
    assert joined and joined[-1].get("parent_span_id") == parent and joined[-1].get("span_id") == span
    password = urllib.parse.urlsplit(os.environ["KOPPEL_E2E_DATABASE_URL"]).password
    text = koppel.logs()
    assert password and password not in text
    assert "not-for-logs" not in text


def test_migrate_refuses_an_edited_migration_naming_the_file():
    schema = tempfile.mkdtemp()
    try:
        for name in os.listdir(os.environ["KOPPEL_SCHEMA_DIR"]):
            shutil.copy(os.path.join(os.environ["KOPPEL_SCHEMA_DIR"], name), schema)
        with open(os.path.join(schema, "0001_directory.sql"), "a") as migration:
            migration.write("\n-- an innocent-looking edit\n")
        result = subprocess.run(
            [os.environ["KOPPEL_TEST_BIN"], "migrate", "--schema-dir", schema], capture_output=True, text=True)
        assert result.returncode != 0
        assert "schema/0001_directory.sql" in result.stderr
        assert "forward-only" in result.stderr
        unchanged = subprocess.run([os.environ["KOPPEL_TEST_BIN"], "migrate"], capture_output=True, text=True)
        assert unchanged.returncode == 0 and "schema is current" in unchanged.stdout
    finally:
        shutil.rmtree(schema)
