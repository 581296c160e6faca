"""SIGTERM under load, two ways.

Behind a balancer that follows readiness (as every deployment of Koppel runs: Kubernetes' Service, or any balancer that
asks `/readyz`): no request is cut, reset or refused at all; a stopping replica turns unready, is sent nothing new, and
closes its listener only after its drain.

Straight to the process, with no balancer: every request the server read gets a complete answer and what it
acknowledged is in the database; connections it never read (still in the listener's queue, or accepted and not yet read
when it stopped) are reset by the kernel. Nothing was done for those, so a retry is safe (and an Idempotency-Key makes
any retry safe); their number is reported, not failed: no process can close a listening socket without it.

Each exits 0 within its bound. Bounded: 1 stop each (10 under scripts/faults), 8 clients."""
import http.client
import json
import threading
import time
import uuid


from conftest import KoppelServer
from faults.harness import ReadinessBalancer, Referrals, free_port, report, scale, wait_until

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


def test_sigterm_behind_a_balancer_that_follows_readiness_cuts_nothing(faults_db):
    ports = [free_port(), free_port()]
    env = faults_db.server_env(KOPPEL_HTTP_DRAIN_SECONDS="2")

    def start(port):
        return KoppelServer(faults_db.url("app"), extra_env=env, port=port)

    servers = [start(port) for port in ports]
    balancer = ReadinessBalancer(ports)
    stop, workers, stop_seconds = None, [], []
    try:
        caseworker = Referrals(faults_db, balancer.url)
        stop, workers = caseworker.load(CLIENTS)
        for round_ in range(STOPS):
            time.sleep(1.5)
            victim = round_ % len(servers)
            signalled = time.monotonic()
            servers[victim].process.terminate()
            status = servers[victim].process.wait(timeout=30)
            stop_seconds.append(time.monotonic() - signalled)
            assert status == 0, f"a replica exited with {status} on SIGTERM:\n" + "\n".join(servers[victim].logs().splitlines()[-20:])
            servers[victim] = start(ports[victim])
            time.sleep(0.5)  # the balancer's two good checks before it is used again
        time.sleep(1)
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        statuses = caseworker.statuses()
        with caseworker.lock:
            from_koppel = len([1 for _, _, outcome, retry_after in caseworker.outcomes if outcome == 503 and retry_after])
        assert set(statuses) == {201}, f"behind the balancer a request got something other than its 201: {statuses}, " \
                                       f"{from_koppel} of the 503s from Koppel (with Retry-After), the rest from the balancer"
        assert not caseworker.unacknowledged
        found, lost, extra = caseworker.check_in_sql(faults_db)
        assert (lost, extra) == (0, 0)
        assert min(stop_seconds) >= 2, "a replica closed before its drain was over"
        report("SIGTERM behind a balancer that follows readiness", stops=STOPS, clients=CLIENTS, replicas=len(servers),
               drain_s=2, requests=len(caseworker.outcomes), answers=dict(sorted((str(k), v) for k, v in statuses.items())),
               acknowledged=len(caseworker.acknowledged), lost=lost, duplicated=extra, longest_stop_s=round(max(stop_seconds), 2))
    finally:
        if stop:
            stop.set()
        for server in servers:
            server.stop()
        balancer.stop()


def test_sigterm_straight_to_the_process_cuts_no_request_it_read(faults_db):
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
    # Only connections whose request was never read may be reset (the listener's queue at close); none it read.
    assert len(unread) == len(cut), f"{len(cut) - len(unread)} requests cut by the stop mid-answer or after being done: {described}"
    assert not any(handled_not_answered), f"the server logged requests whose answers never arrived: {handled_not_answered}"
    assert set(statuses) <= {201, 503}, f"unexpected answers: {statuses}"
    assert all(outcome[3] for outcome in answers if outcome[1] == 503), "a 503 without Retry-After"
    assert sum(in_flight_at_stop) > 0, "no request was in flight at SIGTERM: the scenario tested nothing"
    assert max(stop_seconds) < 16, f"a stop took {max(stop_seconds):.1f} s"
    ids = "','".join(acknowledged)
    found = faults_db.owner_sql(f"SELECT count(*) FROM referrals WHERE id IN ('{ids}')") if acknowledged else "0"
    assert int(found) == len(acknowledged), f"{len(acknowledged) - int(found)} acknowledged referrals are missing"
    report("SIGTERM straight to the process", stops=STOPS, clients=CLIENTS, requests=len(outcomes), in_flight_at_sigterm=sum(in_flight_at_stop),
           answered=len(answers), refused_after_stop=len([1 for _, _, _, o in outcomes if o[0] == "refused"]),
           cut_mid_answer_or_after_done=len(cut) - len(unread), reset_before_read=len(unread),
           answers_by_status=dict(sorted((str(k), v) for k, v in statuses.items())),
           longest_stop_s=round(max(stop_seconds), 2), acknowledged_in_database=int(found))
