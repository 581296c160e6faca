"""Webhooks under faults: a replica killed with SIGKILL while deliveries are in flight loses none (they are sent
again once their lease ends, so at least once), and two replicas on one database send every event exactly once.
Bounded: 40 and 60 events, about a minute in all."""
import os
import time

import pytest

from conftest import KoppelServer
from test_notice_mail import sql
from test_operations import CLUSTER, pg_ctl
from test_webhooks import API, cli, file_referral, new_admin, token_for
from webhook_receiver import Receiver

LEASE_SECONDS = 30


def server():
    return KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"], extra_env={"KOPPEL_HTTP_RATE_LIMIT": "0"})


def referral_ids(receiver, path):
    return [d.event["data"]["referral_id"] for d in receiver.received(path, answered=200)]


def stranded_at_the_kill(subscription):
    """The subscription's deliveries still leased by a try started before the kill: the killed replica's (any other
    server's tries of then were answered within the receiver's delay). Only their lease ending sends them again."""
    rows = sql(f"""SELECT message_id FROM webhook_deliveries WHERE subscription_id = '{subscription}' AND state = 'pending'
                   AND attempts >= 1 AND next_attempt_at > now() AND last_attempt_at < now() - interval '5 seconds'""")
    return set(rows.split()) if rows else set()


def delivery_states(subscription):
    return sql(f"""SELECT state || ' ' || attempts || ' tries' || ', ' || count(*) FROM webhook_deliveries
                   WHERE subscription_id = '{subscription}' GROUP BY state, attempts ORDER BY 1""").replace("\n", "; ")


def test_a_killed_replica_loses_no_event():
    receiver = Receiver()
    # Slow answers: when the replica dies, the deliveries it sent are still waiting for theirs.
    receiver.delay = 3.0
    # Only this test's subscription is served meanwhile: another test's, whose receiver is gone, would take the
    # replicas' delivery slots for its own tries.
    paused = sql("UPDATE webhook_subscriptions SET status = 'paused' WHERE status = 'active' RETURNING id").split()
    first = server()
    second = None
    try:
        admin = API(first, new_admin("payoke"))
        subscription = admin.subscribe(receiver, "/killed")
        caseworker = API(first, token_for_caseworker("payoke"))
        programme = two_go(caseworker)
        filed = [file_referral(caseworker, programme) for _ in range(40)]
        receiver.wait_for(lambda: len(receiver.received("/killed")) >= 4, "no delivery was in flight")
        first.process.kill()  # SIGKILL: no graceful anything, and no answer read
        first.process.wait(timeout=10)
        killed_at = time.monotonic()
        killed_at_wall = time.time()
        second = server()
        time.sleep(5 + 1)
        stranded = stranded_at_the_kill(subscription)
        # The run's long-lived server shares the database and may have sent some of them too; the killed one had
        # 8 slots busy with this subscription alone.
        assert stranded, f"the killed replica held no delivery at the kill: {delivery_states(subscription)}"

        def arrived():
            return referral_ids(receiver, "/killed")

        def sent_again():
            # Recorded once answered, after the receiver's delay: a try sent before the kill is recorded by then.
            return {d.webhook_id for d in receiver.received("/killed", answered=200) if d.received_at > killed_at_wall + receiver.delay + 1}

        # Every event arrives; those stranded at the kill are sent again once their lease ends (at least once).
        try:
            receiver.wait_for(lambda: set(filed) <= set(arrived()) and stranded <= sent_again(),
                              "not every event arrived", timeout=LEASE_SECONDS + 60)
        except AssertionError:
            missing = len(set(filed) - set(arrived()))
            raise AssertionError(f"after the kill: {missing} of 40 events never arrived; {len(stranded - sent_again())} of "
                                 f"{len(stranded)} stranded not sent again; "
                                 f"deliveries: {delivery_states(subscription)}") from None
        repeats = len(arrived()) - len(set(arrived()))
        print(f"\nall 40 arrived; {len(stranded)} stranded at the kill were sent again, the last "
              f"{time.monotonic() - killed_at:.1f} s after it ({repeats} arrived twice)")
        assert all(d.verified for d in receiver.received("/killed"))
    finally:
        receiver.stop()
        if paused:
            sql(f"UPDATE webhook_subscriptions SET status = 'active' WHERE id IN ({', '.join(repr(i) for i in paused)})")
        if second:
            assert second.stop() == 0
        if first.process.poll() is None:
            first.stop()


def test_two_replicas_send_each_event_once():
    receiver = Receiver()
    replicas = [server(), server()]
    try:
        admin = API(replicas[0], new_admin("coa"))
        admin.subscribe(receiver, "/twice")
        callers = [API(replica, token_for_caseworker("coa")) for replica in replicas]
        programme = two_go(callers[0])
        filed = [file_referral(callers[n % 2], programme) for n in range(60)]
        receiver.wait_for(lambda: set(filed) <= set(referral_ids(receiver, "/twice")), "not every event arrived", timeout=60)
        time.sleep(2)  # time for a second copy, if any were to come
        ids = [d.webhook_id for d in receiver.received("/twice")]
        assert len(ids) == 60 and len(set(ids)) == 60, f"{len(ids)} requests for {len(set(ids))} events"
    finally:
        receiver.stop()
        for replica in replicas:
            assert replica.stop() == 0


@pytest.mark.skipif(not CLUSTER, reason="needs the throwaway cluster scripts/test starts, to restart it")
def test_deliveries_go_on_after_postgresql_restarts_and_the_server_still_stops():
    """The delivery loop asks the database ten times a second, so a restart often catches one of its calls on a
    connection being torn down, where the driver may lose it (decision 0013). A lost call must not stop deliveries
    for good, nor keep the server from stopping."""
    receiver = Receiver()
    replica = server()
    try:
        admin = API(replica, new_admin("stek"))
        admin.subscribe(receiver, "/restarts")
        caseworker = API(replica, token_for_caseworker("stek"))
        programme = two_go(caseworker)
        for _ in range(RESTARTS):
            pg_ctl("restart", "-w", "-t", "60", "-m", "fast", "-l", os.path.join(CLUSTER, "postgres.log"))
            time.sleep(0.3)
        replica.wait_until(lambda: replica.status("/readyz") == 200, "readyz did not recover after the restarts")
        filed = file_referral(caseworker, programme)
        receiver.wait_for(lambda: filed in referral_ids(receiver, "/restarts"),
                          f"no delivery {LEASE_SECONDS + 15} s after {RESTARTS} restarts", timeout=LEASE_SECONDS + 15)
    finally:
        receiver.stop()
        stopped = time.monotonic()
        assert replica.stop() == 0
        assert time.monotonic() - stopped < 16, "SIGTERM did not stop the server within its bound"


RESTARTS = 8


def token_for_caseworker(organisation):
    email = f"faults-{organisation}-{os.getpid()}-{time.monotonic_ns()}@{organisation}.example"
    cli("user", "create", "--org", organisation, "--email", email, "--name", "Hulpverlener", "--role", "caseworker")
    return token_for(email)


def two_go(caller):
    return next(p["id"] for p in caller.ok("GET", "/programmes")["contents"] if p["name"].startswith("2GO"))
