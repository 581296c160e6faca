"""`kill -9` of a replica again and again while clients file referrals through nginx and retry each one with the same
Idempotency-Key until it is acknowledged: no acknowledged referral is lost, none is filed twice, and every referral has
its one history event and its one outbox row (checked in SQL). Bounded: 3 kills (20 under scripts/faults), 8 clients,
every request given up after 60 s."""
import shutil
import time

from conftest import KoppelServer
from faults.harness import Nginx, Referrals, percentile, report, scale

CLIENTS = 8
KILLS = scale(3, 20)
SERVE_SECONDS = 2.0


def test_kill_9_of_a_replica_under_load_loses_and_duplicates_nothing(faults_db):
    env = faults_db.server_env()
    servers = [KoppelServer(faults_db.url("app"), extra_env=env) for _ in range(2)]
    nginx = Nginx([server.port for server in servers])
    caseworker = Referrals(faults_db, nginx.url)
    stop, workers = None, []
    restarts = []
    try:
        stop, workers = caseworker.load(CLIENTS)
        began = time.monotonic()
        for kill in range(KILLS):
            time.sleep(SERVE_SECONDS)
            victim = kill % 2
            before = len(caseworker.acknowledged)
            servers[victim].process.kill()  # SIGKILL: in-flight requests die with it
            servers[victim].process.wait(timeout=10)
            # The next one on this port writes a log of the same name: the killed one's log is kept beside it, so the
            # run's check for identifying data reads it too.
            shutil.copy(servers[victim].log.name, f"{servers[victim].log.name}.killed-{kill}")
            started = time.monotonic()
            servers[victim] = KoppelServer(faults_db.url("app"), extra_env=env, port=servers[victim].port)
            restarts.append(time.monotonic() - started)
            assert len(caseworker.acknowledged) >= before
        time.sleep(SERVE_SECONDS)
        stop.set()
        for worker in workers:
            worker.join(timeout=70)
        assert not any(worker.is_alive() for worker in workers), "a client is still waiting for an answer"
        elapsed = time.monotonic() - began
    finally:
        if stop:
            stop.set()
        nginx.stop()
        for server in servers:
            if server.process.poll() is None:
                server.stop()

    statuses = caseworker.statuses()
    assert not caseworker.unacknowledged, f"{len(caseworker.unacknowledged)} referrals never acknowledged within 60 s"
    # A kill cuts what the replica was sending (nginx then ends the answer short) or had not answered yet (502): the
    # client tries again. Any other answer (a 500, a 4xx) fails.
    answers = {status for status in statuses if isinstance(status, int)}
    assert answers <= {201, 502, 503, 504}, f"unexpected answers: {statuses}"
    found, lost, extra = caseworker.check_in_sql(faults_db)
    assert found == len(caseworker.acknowledged) and extra == 0, f"{found} referrals for {len(caseworker.acknowledged)} keys"
    retried = len([1 for _, _, outcome, _ in caseworker.outcomes if outcome != 201])
    report("kill -9 of a replica under load", kills=KILLS, clients=CLIENTS, seconds=round(elapsed, 1),
           acknowledged=len(caseworker.acknowledged), lost=lost, duplicated=extra, history_and_outbox_consistent=found,
           failed_tries_retried=retried, answers=dict(sorted((str(k), v) for k, v in statuses.items())),
           replica_back_p50_s=round(percentile(restarts, 0.5), 2), replica_back_max_s=round(max(restarts), 2))
