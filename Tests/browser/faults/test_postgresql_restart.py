"""PostgreSQL restarted (`pg_ctl restart -m fast`) while clients file referrals: Koppel stays up, answers 503 with
Retry-After meanwhile (never a 500, never silence), files again within 5 s of PostgreSQL accepting connections (a
newcomer's request, or a busy client's), and loses no acknowledged referral. Bounded: 1 restart (5 under scripts/faults), 8 clients, answers within 15 s."""
import threading
import time

from conftest import KoppelServer
from faults.harness import Referrals, percentile, report, scale

CLIENTS = 8
RESTARTS = scale(1, 5)
SERVES_AGAIN_WITHIN = 5.0


def test_postgresql_restarted_under_load(faults_db, faults_cluster):
    server = KoppelServer(faults_db.url("app"), extra_env=faults_db.server_env())
    caseworker = Referrals(faults_db, server.url)
    stop, workers = None, []
    newcomer = Referrals(faults_db, server.url, clients=1)
    back_after, clients_back_after, refused_for, newcomers = [], [], [], []
    try:
        stop, workers = caseworker.load(CLIENTS)
        time.sleep(3)
        for _ in range(RESTARTS):
            asked = time.monotonic()
            faults_cluster.restart()  # returns once PostgreSQL accepts connections again
            back = time.monotonic()
            # When did a referral next get filed, counting from PostgreSQL being back? The clients may all be waiting on
            # requests the restart caught (those get their 503 at the request deadline), so a newcomer asks too: a new
            # request every 0.25 s until one is filed, as people arriving after PostgreSQL is back would.
            def filed_since(filer):
                with filer.lock:
                    return [ended for started, ended, outcome, _ in filer.outcomes if outcome == 201 and started >= back]
            while not filed_since(newcomer) and time.monotonic() < back + 30:
                thread = threading.Thread(target=newcomer.file, args=(len(newcomers),), daemon=True)
                thread.start()
                newcomers.append(thread)
                time.sleep(0.25)
            assert filed_since(newcomer), "no referral filed within 30 s of PostgreSQL being back"
            first = min(filed_since(newcomer) + filed_since(caseworker))
            back_after.append(first - back)
            server.wait_until(lambda: filed_since(caseworker), "the clients filed nothing within 30 s of PostgreSQL being back")
            clients_back_after.append(min(filed_since(caseworker)) - back)
            # What a user sees: the longest time in which nobody's referral was filed, around the restart.
            with caseworker.lock:
                filings = sorted(ended for _, ended, outcome, _ in caseworker.outcomes
                                 if outcome == 201 and asked - 1 <= ended <= first + 1)
            refused_for.append(max(b - a for a, b in zip(filings, filings[1:])) if len(filings) > 1 else 0.0)
            assert server.process.poll() is None, "Koppel exited when PostgreSQL restarted"
            time.sleep(3)
        stop.set()
        for worker in workers + newcomers:
            worker.join(timeout=70)
        assert not any(worker.is_alive() for worker in workers), "a client is still waiting for an answer"
        assert server.status("/readyz") == 200
    finally:
        if stop:
            stop.set()
        stopped = time.monotonic()
        assert server.stop() == 0
        assert time.monotonic() - stopped < 16, "SIGTERM did not stop the server within its bound"

    statuses = caseworker.statuses()
    slowest = max(ended - started for started, ended, _, _ in caseworker.outcomes)
    assert not caseworker.unacknowledged
    found, lost, extra = caseworker.check_in_sql(faults_db)
    assert newcomer.check_in_sql(faults_db)[1:] == (0, 0)
    # The figures first: a run that fails shows them too.
    report("PostgreSQL restarted under load", restarts=RESTARTS, clients=CLIENTS, acknowledged=len(caseworker.acknowledged),
           lost=lost, duplicated=extra, answers_503=statuses.get(503, 0), answers_201=statuses.get(201, 0),
           other_answers=sum(v for k, v in statuses.items() if k not in (201, 503)),
           serves_again_after_pg_back_s=[round(x, 2) for x in back_after],
           the_8_clients_filed_again_after_s=[round(x, 2) for x in clients_back_after],
           longest_without_a_filing_s=[round(x, 2) for x in refused_for], slowest_answer_s=round(slowest, 2),
           answers_at_the_request_deadline=len([1 for s, e, _, _ in caseworker.outcomes if e - s >= 9.5]),
           p50_answer_ms=round(1000 * percentile([e - s for s, e, _, _ in caseworker.outcomes], 0.5)))
    assert (lost, extra) == (0, 0)
    assert set(statuses) | set(newcomer.statuses()) <= {201, 503}, f"answers other than 201 and 503: {statuses}"
    assert statuses.get(503, 0) > 0, "no request met the restart: the scenario tested nothing"
    assert all(retry for _, _, outcome, retry in caseworker.outcomes if outcome == 503), "a 503 without Retry-After"
    assert slowest < 15, f"the slowest answer took {slowest:.1f} s"
    assert max(back_after) <= SERVES_AGAIN_WITHIN, f"Koppel filed again only {max(back_after):.1f} s after PostgreSQL was back"
