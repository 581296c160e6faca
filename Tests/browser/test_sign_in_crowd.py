"""Sixty sign-ins at once from one address, each on its own connection, as a script would send them: most are
refused at once with 429 and Retry-After, none is a 503, and a person at another address signs in meanwhile.
Bounded: 60 requests and one sign-in."""
import os
import re
import threading
import urllib.parse
import urllib.request

from conftest import KoppelServer

ATTACKER = "203.0.113.66"
PERSON = "198.51.100.7"


def sign_in(url, email, password, address):
    """Status of a password sign-in from `address` (as named by the trusted balancer), with its own cookies."""
    opener = urllib.request.build_opener(NoRedirect())
    headers = {"X-Forwarded-For": address}
    with opener.open(urllib.request.Request(url + "/sign-in", headers=headers), timeout=30) as page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)
        # The form cookie is Secure, which Python's cookie jar keeps from http://127.0.0.1 (browsers do not): sent by hand.
        cookie = "; ".join(header.split(";")[0] for header in page.headers.get_all("Set-Cookie") or [])
    body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    request = urllib.request.Request(url + "/sign-in", data=body, headers=dict(headers, Cookie=cookie), method="POST")
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_crowd_of_sign_ins_from_one_address_does_not_lock_out_others():
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"], extra_env={"KOPPEL_HTTP_TRUSTED_PROXIES": "127.0.0.1"})
    try:
        results, lock = [], threading.Lock()

        def attack(number):
            outcome = sign_in(server.url, f"doelwit{number}@denhaag.example", "geraden wachtwoord", ATTACKER)
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=attack, args=(n,)) for n in range(60)]
        for thread in threads:
            thread.start()
        person = sign_in(server.url, "funder@denhaag.example", os.environ["KOPPEL_DEMO_PASSWORD"], PERSON)
        for thread in threads:
            thread.join(timeout=60)

        statuses = [status for status, _ in results]
        assert len(statuses) == 60
        assert person[0] == 303, f"the person at another address was answered {person[0]}"
        assert 503 not in statuses and 500 not in statuses, statuses
        assert statuses.count(429) >= 45, statuses
        assert all(retry for status, retry in results if status == 429), "a 429 without Retry-After"
        assert statuses.count(401) <= 15, "only the burst (and what refilled meanwhile) reached the password check"
    finally:
        assert server.stop() == 0
