"""PostgreSQL restarted twice while clients keep Koppel busy: every request gets an answer (200, 201, or 503 with
Retry-After; never a 500, never silence for 15 seconds), the server recovers by itself and still stops on SIGTERM.
Bounded: 16 clients for about 25 seconds."""
import json
import os
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import KoppelServer
from test_operations import CLUSTER, pg_ctl

CLIENTS = 16
LOAD_SECONDS = 25
RESTARTS_AT = (6, 15)
ANSWER_WITHIN = 15


def api_token(email: str) -> str:
    result = subprocess.run(
        [os.environ["KOPPEL_TEST_BIN"], "token", "create", "--user", email, "--name", "restart-test", "--expires-in", "1"],
        capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def call(url, token, body=None):
    """The status and the Retry-After header of one request, or the exception that ended it."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                     data=json.dumps(body).encode() if body is not None else None,
                                     method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_WITHIN) as response:
            response.read()
            return response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, error.headers.get("Retry-After")


@pytest.mark.skipif(not CLUSTER, reason="needs the throwaway cluster scripts/test starts, to restart it")
def test_every_request_is_answered_across_postgresql_restarts():
    token = api_token("caseworker@vluchtelingenwerk.example")
    # Rate limits off: the point is to keep every connection of the pool busy when PostgreSQL goes.
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"], extra_env={"KOPPEL_HTTP_RATE_LIMIT": "0"})
    outcomes, lock = [], threading.Lock()
    stop = threading.Event()

    def client(number):
        while not stop.is_set():
            started = time.monotonic()
            if number % 2:
                url, body = server.url + "/api/v1/referrals?limit=5", None
            else:
                url, body = server.url + "/api/v1/clients", {"name": "Belasting Test", "birth_date": "1990-01-01"}
            try:
                status, retry_after = call(url, token, body)
            except Exception as error:  # a timeout or a dropped connection: no answer
                status, retry_after = repr(error), None
            with lock:
                outcomes.append((status, retry_after, time.monotonic() - started))

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        began = time.monotonic()
        for at in RESTARTS_AT:
            time.sleep(max(0, began + at - time.monotonic()))
            pg_ctl("restart", "-w", "-t", "60", "-m", "fast", "-l", os.path.join(CLUSTER, "postgres.log"))
        time.sleep(max(0, began + LOAD_SECONDS - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join(timeout=ANSWER_WITHIN + 5)
        assert not any(thread.is_alive() for thread in threads), "a client is still waiting for an answer"

        statuses = {}
        for status, _, _ in outcomes:
            statuses[status] = statuses.get(status, 0) + 1
        unanswered = [status for status, _, _ in outcomes if not isinstance(status, int)]
        assert not unanswered, f"requests without an answer: {unanswered[:5]} (all: {statuses})"
        assert set(statuses) <= {200, 201, 503}, f"unexpected statuses: {statuses}"
        assert statuses.get(200, 0) > 0 and statuses.get(201, 0) > 0, statuses
        assert all(retry_after for status, retry_after, _ in outcomes if status == 503), "a 503 without Retry-After"
        slowest = max(seconds for _, _, seconds in outcomes)
        assert slowest < ANSWER_WITHIN, f"the slowest answer took {slowest:.1f} s"

        server.wait_until(lambda: server.status("/readyz") == 200, "readyz did not recover after the restarts")
        assert call(server.url + "/api/v1/referrals?limit=5", token)[0] == 200
    finally:
        stop.set()
        stopped = time.monotonic()
        assert server.stop() == 0
        assert time.monotonic() - stopped < 15, "SIGTERM did not stop the server within 15 s"
