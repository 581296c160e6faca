"""Two Koppel replicas behind nginx on one PostgreSQL: a web session made on one is valid on the other, two coordinators
accepting the last place through different replicas leave exactly one accepted, and an idempotent retry sent to the
other replica gets the first answer and files nothing twice. Bounded: a few dozen requests."""
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import KoppelServer
from faults.harness import Nginx, Referrals, call, report, scale


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect())


def page(url, cookie=None, data=None):
    """A page request without following redirects: status, headers, text."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode() if data else None,
                                     headers={"Cookie": cookie} if cookie else {}, method="POST" if data else "GET")
    try:
        with OPENER.open(request, timeout=20) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def cookies(headers):
    return {header.split("=", 1)[0]: header.split(";")[0] for header in headers.get_all("Set-Cookie") or []}


@pytest.fixture(scope="module")
def replicas(faults_db):
    servers = [KoppelServer(faults_db.url("app"), extra_env=faults_db.server_env(KOPPEL_HTTP_TRUSTED_PROXIES="127.0.0.1"))
               for _ in range(2)]
    nginx = Nginx([server.port for server in servers])
    try:
        yield servers, nginx
    finally:
        nginx.stop()
        for server in servers:
            assert server.stop() == 0


def test_a_session_made_on_one_replica_is_valid_on_the_other(replicas):
    (first, second), nginx = replicas
    one, other = nginx.pinned_urls
    # The sign-in form comes from one replica, the password goes to the other: its form cookie and token hold there.
    status, headers, text = page(one + "/sign-in")
    assert status == 200 and headers["X-Koppel-Replica"] == f"127.0.0.1:{first.port}"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    form_cookie = "; ".join(cookies(headers).values())
    status, headers, _ = page(other + "/sign-in", form_cookie, {
        "email": "funder@denhaag.example", "password": os.environ["KOPPEL_DEMO_PASSWORD"], "csrf_token": csrf})
    assert status == 303 and headers["X-Koppel-Replica"] == f"127.0.0.1:{second.port}", status
    session = "; ".join(cookies(headers).values())
    # Signed out, the account page sends to the sign-in: the check below can fail.
    assert page(one + "/account")[0] == 303
    served_by = set()
    for url in (one, other, nginx.url, nginx.url):
        status, headers, text = page(url + "/account", session)
        assert status == 200, f"the session made on one replica was refused by {headers['X-Koppel-Replica']}: {status}"
        assert "funder@denhaag.example" in text
        served_by.add(headers["X-Koppel-Replica"])
    assert served_by == {f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"}
    # Signed out on the second replica, the session ends on the first as well.
    status, headers, text = page(other + "/account", session)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    assert page(other + "/sign-out", session, {"csrf_token": csrf})[0] == 303
    assert page(one + "/account", session)[0] == 303, "a session signed out on one replica still held on the other"


def test_two_coordinators_taking_the_last_place_through_different_replicas(replicas, faults_db):
    _, nginx = replicas
    one, other = nginx.pinned_urls
    caseworker = Referrals(faults_db, one, clients=1)
    coordinators = [faults_db.user("stek", "coordinator", "2go") for _ in range(2)]
    rounds = scale(4, 10)
    outcomes = []
    for _ in range(rounds):
        referrals = [caseworker.file(0), caseworker.file(0)]
        # One place left: the places taken plus one.
        faults_db.owner_sql(f"""UPDATE programmes SET places_total = (SELECT count(*) FROM referrals r
                                 WHERE r.programme_id = programmes.id AND r.state IN ('accepted', 'active')) + 1
                                 WHERE id = '{caseworker.programme}'""")
        barrier, answers = threading.Barrier(2), [None, None]

        def accept(n):
            barrier.wait()
            answers[n] = call("POST", f"{(one, other)[n]}/api/v1/referrals/{referrals[n]}/transitions", coordinators[n],
                              {"action": "accept"})

        threads = [threading.Thread(target=accept, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        statuses = sorted(answer[0] for answer in answers)
        assert statuses == [200, 409], f"two accepts of the last place were answered {statuses}"
        refused = next(answer for answer in answers if answer[0] == 409)
        assert "places of the programme are taken" in refused[2]["detail"], refused[2]
        outcomes.append([answer[1]["X-Koppel-Replica"] for answer in answers if answer[0] == 200][0])
        states = faults_db.owner_sql(f"SELECT string_agg(state, ',' ORDER BY state) FROM referrals WHERE id IN ('{referrals[0]}', '{referrals[1]}')")
        assert states == "accepted,submitted", states
    full = faults_db.owner_sql(f"""SELECT places_total = (SELECT count(*) FROM referrals r WHERE r.programme_id = p.id
                                   AND r.state IN ('accepted', 'active')) FROM programmes p WHERE id = '{caseworker.programme}'""")
    assert full == "t", "more places taken than the programme has"
    report("two replicas, last place", rounds=rounds, exactly_one_won=rounds, won_by_each_replica=sorted(
        [outcomes.count(replica) for replica in set(outcomes)]))


def test_an_idempotent_retry_sent_to_the_other_replica_gets_the_first_answer(replicas, faults_db):
    _, nginx = replicas
    one, other = nginx.pinned_urls
    caseworker = Referrals(faults_db, one, clients=1)
    key, body = "retry-" + os.urandom(6).hex(), caseworker.body(0)
    first = call("POST", one + "/api/v1/referrals", caseworker.token, body, {"Idempotency-Key": key})
    again = call("POST", other + "/api/v1/referrals", caseworker.token, body, {"Idempotency-Key": key})
    assert first[0] == 201 and again[0] == 201, (first[0], again[0])
    assert first[1]["X-Koppel-Replica"] != again[1]["X-Koppel-Replica"]
    assert again[2] == first[2], "the retry on the other replica got another answer than the first"
    count = faults_db.owner_sql(f"SELECT count(*) FROM referrals WHERE referring_user_id = "
                                f"(SELECT referring_user_id FROM referrals WHERE id = '{first[2]['id']}')")
    assert count == "1", f"{count} referrals for one request sent twice"
    # The same key with another body is refused, on either replica.
    changed = dict(body, urgency="urgent")
    assert call("POST", other + "/api/v1/referrals", caseworker.token, changed, {"Idempotency-Key": key})[0] == 422
    report("two replicas, idempotent retry", retried_on_other_replica=1, same_answer=True, referrals_filed=int(count))
