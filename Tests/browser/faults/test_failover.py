"""Failover: Koppel runs against a stable address (HAProxy standing in for CloudNativePG's `-rw` service) in front of a
primary with a synchronous streaming replica. The primary dies (`pg_ctl stop -m immediate`), the replica is promoted
and HAProxy is switched to it: Koppel reconnects by itself, and no referral it acknowledged is missing on the new
primary. The figures say how long writes failed. Bounded: one failover, 8 clients, about 30 s."""
import time

from conftest import KoppelServer
from faults.harness import Cluster, HAProxy, KoppelDatabase, Referrals, report, wait_until

CLIENTS = 8
RECONNECTS_WITHIN = 15.0


def test_koppel_follows_a_promoted_replica_behind_a_stable_address(faults_db, faults_cluster):
    # A primary and a replica of their own, copied from the scenarios' cluster: the failover leaves that one alone.
    primary, replica = Cluster("failover-primary"), Cluster("failover-replica")
    proxy = server = None
    stop, workers = None, []
    try:
        primary.copy_of(faults_cluster, standby=False)
        primary.start()
        replica.copy_of(primary, standby=True)
        replica.start()
        wait_until(lambda: primary.sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1",
                   "the replica does not stream", 30)
        # Synchronous: a commit Koppel acknowledges is on the replica too (as CloudNativePG's synchronous replicas).
        primary.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        primary.sql("SELECT pg_reload_conf()")
        wait_until(lambda: primary.sql("SELECT sync_state FROM pg_stat_replication") == "sync", "the replica is not synchronous", 10)

        database = KoppelDatabase(primary)
        database.passwords = faults_db.passwords
        proxy = HAProxy(primary.port)
        server = KoppelServer(database.url("app", port=proxy.port), extra_env=database.server_env(port=proxy.port))
        caseworker = Referrals(database, server.url)
        stop, workers = caseworker.load(CLIENTS)
        time.sleep(3)
        acknowledged_before = len(caseworker.acknowledged)
        assert acknowledged_before > 0, "nothing was filed before the failover"

        died = time.monotonic()
        primary.stop("immediate")            # the primary's machine is gone
        replica.promote()                    # the operator (CloudNativePG) promotes the replica
        promoted = time.monotonic()
        assert not replica.in_recovery()
        proxy.switch_to(replica.port)        # and points the -rw service at it
        switched = time.monotonic()

        def filed_since(moment):
            with caseworker.lock:
                return [ended for started, ended, outcome, _ in caseworker.outcomes if outcome == 201 and started >= moment]
        wait_until(lambda: filed_since(switched), f"Koppel filed nothing within {RECONNECTS_WITHIN:.0f} s of the switch",
                   RECONNECTS_WITHIN)
        first_write = min(filed_since(switched))
        wait_until(lambda: server.status("/readyz") == 200, "readyz did not recover after the failover", RECONNECTS_WITHIN)
        time.sleep(3)
        stop.set()
        for worker in workers:
            worker.join(timeout=70)
        assert not any(worker.is_alive() for worker in workers), "a client is still waiting for an answer"
        with caseworker.lock:
            failed = [(started, ended) for started, ended, outcome, _ in caseworker.outcomes if outcome != 201 and ended >= died]
            last_before = max([ended for started, ended, outcome, _ in caseworker.outcomes if outcome == 201 and ended <= died] or [died])
        statuses = caseworker.statuses()
        assert set(statuses) <= {201, 503}, f"answers other than 201 and 503: {statuses}"
        assert not caseworker.unacknowledged
        # Checked on the new primary: everything Koppel acknowledged, on either side of the failover, is there.
        found, lost, extra = caseworker.check_in_sql(database_on(replica, database))
        assert (lost, extra) == (0, 0)
        report("failover to a promoted replica", clients=CLIENTS, acknowledged=len(caseworker.acknowledged),
               acknowledged_before_failover=acknowledged_before, lost=lost, duplicated=extra,
               promote_s=round(promoted - died, 2), writes_failed_s=round(first_write - last_before, 2),
               first_write_after_switch_s=round(first_write - switched, 2), failed_tries=len(failed),
               answers=dict(sorted((str(k), v) for k, v in statuses.items())))
    finally:
        if stop:
            stop.set()
        if server:
            assert server.stop() == 0
        if proxy:
            proxy.stop()
        primary.remove()
        replica.remove()


def database_on(cluster, database):
    other = KoppelDatabase(cluster)
    other.passwords = database.passwords
    return other
