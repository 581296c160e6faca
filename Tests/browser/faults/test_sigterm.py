"""SIGTERM under load: every request the server took gets a complete answer, and connections made after it stopped
listening are refused, never reset or cut mid-answer; what it acknowledged is in the database, and it exits 0 within
its bound. Bounded: 1 stop (10 under scripts/faults), 8 clients each on a new connection per request."""
import http.client
import json
import threading
import time
import uuid

import pytest

from conftest import KoppelServer
from faults.harness import Referrals, report, scale

CLIENTS = 8
STOPS = scale(1, 10)


def request(port, token, body, key):
    """One POST on a connection of its own, read to the end: ('answer', status, id), ('refused',) or ('cut', error)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    phase = "connect"
    try:
        try:
            connection.connect()
        except ConnectionRefusedError:
            return ("refused",)
        phase = "send"
        payload = json.dumps(body)
        connection.request("POST", "/api/v1/referrals", payload, {
            "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key})
        phase = "await answer"
        response = connection.getresponse()
        phase = "read answer"
        text = response.read()  # IncompleteRead if the answer is cut
        length = response.getheader("Content-Length")
        if length is not None and int(length) != len(text):
            return ("cut", f"{len(text)} of {length} bytes", key)
        answer = json.loads(text) if text else None
        return ("answer", response.status, answer.get("id") if response.status == 201 else None, response.getheader("Retry-After"))
    except Exception as error:
        return ("cut", f"{type(error).__name__} at {phase}", key)
    finally:
        connection.close()


def test_sigterm_under_load_cuts_no_request(faults_db):
    caseworker = None
    outcomes, lock = [], threading.Lock()
    in_flight_at_stop, stop_seconds, signals, handled_not_answered = [], [], [], []
    acknowledged = []
    for round_ in range(STOPS):
        server = KoppelServer(faults_db.url("app"), extra_env=faults_db.server_env())
        if caseworker is None:
            caseworker = Referrals(faults_db, server.url)
        done = threading.Event()
        signalled = [None]

        def client(number):
            while not done.is_set():
                started = time.monotonic()
                outcome = request(server.port, caseworker.token, caseworker.body(number), str(uuid.uuid4()))
                with lock:
                    outcomes.append((round_, started, time.monotonic(), outcome))
                if outcome[0] == "answer" and outcome[1] == 201:
                    acknowledged.append(outcome[2])
                if outcome[0] != "answer" and signalled[0] is not None:
                    return  # the server is gone: this client stops too

        workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
        for worker in workers:
            worker.start()
        time.sleep(2)
        signalled[0] = time.monotonic()
        signals.append(signalled[0])
        server.process.terminate()
        status = server.process.wait(timeout=30)
        stop_seconds.append(time.monotonic() - signalled[0])
        done.set()
        for worker in workers:
            worker.join(timeout=20)
        assert status == 0, f"the server exited with {status} on SIGTERM:\n" + "\n".join(server.logs().splitlines()[-20:])
        with lock:
            in_flight_at_stop.append(len([1 for r, started, ended, _ in outcomes
                                          if r == round_ and started < signalled[0] < ended]))
            answered_here = len([1 for r, _, _, outcome in outcomes if r == round_ and outcome[0] == "answer"])
        # The server logs every request it handled: as many as the clients got answers to, or it handled one whose
        # answer never arrived.
        handled = len([line for line in server.logs().splitlines() if line.startswith("{")
                       and json.loads(line).get("message") == "request" and json.loads(line).get("http.path") == "/api/v1/referrals"])
        handled_not_answered.append(handled - answered_here)

    cut = [(r, started, ended, outcome) for r, started, ended, outcome in outcomes if outcome[0] == "cut"]
    answers = [outcome for _, _, _, outcome in outcomes if outcome[0] == "answer"]
    statuses = {}
    for outcome in answers:
        statuses[outcome[1]] = statuses.get(outcome[1], 0) + 1
    # A reset request is one of two things, told apart by its key (each request had its own): done but its answer
    # lost (its key is stored), or never read by the server (no key). Each is named with its time around the SIGTERM.
    keys = "','".join(outcome[2] for _, _, _, outcome in cut)
    filed = set(faults_db.owner_sql(f"SELECT key FROM idempotency_keys WHERE key IN ('{keys}')").split()) if cut else set()
    described = [f"{outcome[1]} {started - signals[r]:+.3f}..{ended - signals[r]:+.3f} s, "
                 + ("filed all the same" if outcome[2] in filed else "not filed") for r, started, ended, outcome in cut]
    unread = [1 for _, _, _, outcome in cut if outcome[2] not in filed and outcome[1].endswith(("at send", "at await answer"))]
    assert len(unread) == len(cut), f"{len(cut) - len(unread)} requests cut by the stop mid-answer or after being done: {described}"
    assert not any(handled_not_answered), f"the server logged requests whose answers never arrived: {handled_not_answered}"
    assert set(statuses) <= {201, 503}, f"unexpected answers: {statuses}"
    assert all(outcome[3] for outcome in answers if outcome[1] == 503), "a 503 without Retry-After"
    assert sum(in_flight_at_stop) > 0, "no request was in flight at SIGTERM: the scenario tested nothing"
    assert max(stop_seconds) < 16, f"a stop took {max(stop_seconds):.1f} s"
    ids = "','".join(acknowledged)
    found = faults_db.owner_sql(f"SELECT count(*) FROM referrals WHERE id IN ('{ids}')") if acknowledged else "0"
    assert int(found) == len(acknowledged), f"{len(acknowledged) - int(found)} acknowledged referrals are missing"
    report("SIGTERM under load", stops=STOPS, clients=CLIENTS, requests=len(outcomes), in_flight_at_sigterm=sum(in_flight_at_stop),
           answered=len(answers), refused_after_stop=len([1 for _, _, _, o in outcomes if o[0] == "refused"]),
           cut_mid_answer_or_after_done=len(cut) - len(unread), reset_before_read=len(unread),
           answers_by_status=dict(sorted((str(k), v) for k, v in statuses.items())),
           longest_stop_s=round(max(stop_seconds), 2), acknowledged_in_database=int(found))
    if unread:
        # Known defect (docs/reliability.md, "SIGTERM"): Hummingbird 2.28's graceful shutdown closes every connection
        # that has no request in progress, also one whose request has arrived but is not read yet, and the kernel
        # answers the unread bytes with a reset. Nothing was done for them, but the client cannot know that; such a
        # reset is not "refused", so this stays a failure to fix, shown as an expected one until it is.
        pytest.xfail(f"{len(unread)} connections reset with their request unread, e.g. {'; '.join(described[:3])}")
