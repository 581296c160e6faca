"""Operating Koppel as a process: shutdown on SIGTERM, PostgreSQL going away and coming back,
the migration command refusing an edited migration, and logs that hold no secrets."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import pytest

from conftest import KoppelServer

CLUSTER = os.environ.get("KOPPEL_E2E_CLUSTER", "")


def pg_ctl(*arguments):
    command = [os.environ["KOPPEL_E2E_PG_CTL"], "-D", os.path.join(CLUSTER, "data"), "-w", "-t", "60", *arguments]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--"] + command
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sigterm_stops_the_server_cleanly():
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"])
    assert server.status("/readyz") == 200
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 15
    assert server.status("/healthz") == 0


@pytest.mark.skipif(not CLUSTER, reason="needs the throwaway cluster scripts/test starts, to stop and restart it")
def test_starts_with_postgresql_down_and_recovers_when_it_returns():
    pg_ctl("stop", "-m", "fast")
    try:
        server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"])
        assert server.status("/healthz") == 200
        assert server.status("/readyz") == 503
        assert server.status("/api/v1/programmes") == 503
    finally:
        pg_ctl("start", "-l", os.path.join(CLUSTER, "postgres.log"))
    try:
        server.wait_until(lambda: server.status("/readyz") == 200, "readyz did not recover after PostgreSQL came back")
        assert server.status("/api/v1/programmes") == 200
        # And when it goes away while serving, the server reports it and stays up.
        pg_ctl("stop", "-m", "fast")
        server.wait_until(lambda: server.status("/readyz") == 503, "readyz stayed 200 with PostgreSQL stopped", timeout=15)
        assert server.process.poll() is None
    finally:
        pg_ctl("start", "-l", os.path.join(CLUSTER, "postgres.log"))
    server.wait_until(lambda: server.status("/readyz") == 200, "readyz did not recover the second time")
    assert server.stop() == 0


def test_logs_are_structured_and_hold_no_password(koppel):
    koppel.status("/api/v1/programmes?token=not-for-logs")
    koppel.status("/nowhere")
    lines = [json.loads(line) for line in koppel.logs().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("message") == "request"]
    assert requests, "no request log lines"
    assert all(line.get("request_id") for line in requests)
    assert {"http.method", "http.path", "http.status", "duration_ms"} <= set(requests[-1])
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
