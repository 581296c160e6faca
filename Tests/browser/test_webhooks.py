"""A partner's system hears of every change: org-admins subscribe through the API, a caseworker files and a coordinator
decides, and a real receiver on loopback verifies every delivery with the `standardwebhooks` package. Each event comes
in order, signed, matching its schema in the contract's `webhooks:`, with nothing that says who the client is; a 500 is
tried again with the same webhook-id; a 410 disables the subscription; a rotated secret signs beside the old one; a
third organisation hears nothing of the referrals."""
import json
import os
import subprocess
import time
import urllib.request
import uuid

import pytest
import yaml

from conftest import KoppelServer
from test_contract import schema_validator
from webhook_receiver import Receiver

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CANARIES = dict(line.split("=", 1) for line in open(os.path.join(ROOT, "Tests", "canaries.txt")).read().splitlines()
                if "=" in line and not line.startswith("#"))


def cli(*arguments):
    return subprocess.run([os.environ["KOPPEL_TEST_BIN"], *arguments], capture_output=True, text=True, check=True).stdout.strip()


def token_for(email):
    return cli("token", "create", "--user", email, "--name", "webhooks", "--expires-in", "1").splitlines()[-1]


def new_admin(organisation):
    email = f"webhooks-{uuid.uuid4().hex[:8]}@{organisation}.example"
    cli("user", "create", "--org", organisation, "--email", email, "--name", "Koppelingen", "--role", "org-admin")
    return token_for(email)


class API:
    def __init__(self, server, token):
        self.base, self.token = server.url + "/api/v1", token

    def __call__(self, method, path, body=None):
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            text = error.read()
            return error.code, json.loads(text) if text else None

    def ok(self, method, path, body=None):
        status, answer = self(method, path, body)
        assert 200 <= status < 300, f"{method} {path}: {status} {answer}"
        return answer

    def organisation(self):
        return self.ok("GET", "/me")["organization"]["id"]

    def subscribe(self, receiver, path, **extra):
        made = self.ok("POST", f"/organisations/{self.organisation()}/webhooks",
                       {"url": receiver.url + path, "description": "Zaaksysteem", **extra})
        receiver.secrets[path] = [made["secret"]]
        return made["subscription"]["id"]


@pytest.fixture(scope="module")
def server():
    # Rate limits off: the journey makes many calls quickly as a few callers.
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"], extra_env={"KOPPEL_HTTP_RATE_LIMIT": "0"})
    yield server
    assert server.stop() == 0


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def event_schemas(server):
    with urllib.request.urlopen(server.url + "/openapi.yaml") as response:
        document = yaml.safe_load(response.read())
    return {name: schema_validator(document, hook["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1])
            for name, hook in document["webhooks"].items()}


def file_referral(caseworker, programme):
    client = consented_client(caseworker, programme, ("name", "birth_date", "phone", "email", "address", "safety_notes", "notes"))
    return caseworker.ok("POST", "/referrals", referral_body(client, programme))["id"]


def referral_body(client, programme):
    return {"client_id": client, "programme_id": programme, "target_group": "human_trafficking", "age_band": "26-35",
            "municipality": "Den Haag", "needs": ["social_contact"], "urgency": "soon"}


def consented_client(caseworker, programme, fields):
    """A client registered with the canaries' `fields`, who consented to a referral to `programme`: its id."""
    client = caseworker.ok("POST", "/clients", {key: CANARIES[key] for key in fields})
    own = caseworker.organisation()
    provisions = [{"kind": "permit", "actor_type": actor_type, "actor_id": actor, "purposes": ["referral", "share_identity"],
                   "data_classes": ["identity"]} for actor_type, actor in (("organisation", own), ("programme", programme))]
    caseworker.ok("POST", f"/clients/{client['id']}/consents", {
        "grantor": "client", "obtained_on": "2026-01-05", "evidence": "signed_document", "legal_basis": "explicit_consent",
        "valid_from": "2026-01-05", "provisions": provisions})
    return client["id"]


def test_partners_receive_every_change_in_order_signed_and_without_identifying_data(server, receiver, event_schemas):
    caseworker = API(server, token_for("caseworker@vluchtelingenwerk.example"))
    coordinator = API(server, token_for("coordinator@stek.example"))
    for organisation, path in (("vluchtelingenwerk", "/referrer"), ("stek", "/operator"), ("payoke", "/third")):
        API(server, new_admin(organisation)).subscribe(receiver, path)
    # The referrer's receiver fails once: that delivery comes again, and the referral's later events wait for it.
    receiver.plans["/referrer"] = [500]
    two_go = next(p["id"] for p in caseworker.ok("GET", "/programmes")["contents"] if p["name"].startswith("2GO"))

    completed = file_referral(caseworker, two_go)
    coordinator.ok("POST", f"/referrals/{completed}/transitions", {"action": "accept"})
    coordinator.ok("POST", f"/referrals/{completed}/messages", {"text": CANARIES["message"]})
    coordinator.ok("POST", f"/referrals/{completed}/transitions", {"action": "start"})
    coordinator.ok("POST", f"/referrals/{completed}/transitions", {"action": "complete"})
    declined = file_referral(caseworker, two_go)
    coordinator.ok("POST", f"/referrals/{declined}/transitions", {"action": "decline", "reason": "needs_not_matched"})
    filed_at = time.time()

    expected = {
        completed: ["referral.submitted", "referral.accepted", "referral.message_posted", "referral.started", "referral.completed"],
        declined: ["referral.submitted", "referral.declined"],
    }

    def acknowledged(path):
        by_referral = {}
        for delivery in receiver.received(path, answered=200):
            event = delivery.event
            by_referral.setdefault(event["data"].get("referral_id"), []).append(event["type"])
        return by_referral

    for path in ("/referrer", "/operator"):
        receiver.wait_for(lambda: all(acknowledged(path).get(r) == types for r, types in expected.items()),
                          f"{path} did not get every event in order: {acknowledged(path)}", timeout=40)
    time.sleep(2)  # the third organisation's receiver had as long as the others, and more

    everything = receiver.received()
    assert everything and all(d.verified for d in everything), "a delivery whose signature standardwebhooks rejects"
    assert not receiver.received("/third"), [d.body for d in receiver.received("/third")]
    for delivery in everything:
        for field, value in CANARIES.items():
            assert value not in delivery.body, f"a {delivery.event['type']} event carries the client's {field}"
        event = delivery.event
        errors = list(event_schemas[event["type"]].iter_errors(event))
        assert not errors, f"{event['type']} is off its schema: {errors[0].message}"
        assert abs(int(delivery.headers["webhook-timestamp"]) - delivery.received_at) < 5
    # Sequence numbers rise with every event of a referral.
    for referral in expected:
        sequences = [d.event["data"]["sequence"] for d in receiver.received("/operator", answered=200) if d.event["data"]["referral_id"] == referral]
        assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)

    failed = receiver.received("/referrer", answered=500)
    assert len(failed) == 1
    again = [d for d in receiver.received("/referrer", answered=200) if d.webhook_id == failed[0].webhook_id]
    assert len(again) == 1 and again[0].body == failed[0].body, "the failed delivery comes again as the same message"
    assert again[0].received_at - failed[0].received_at >= 4, "the second try waits about 5 seconds"
    print(f"\nlast event acknowledged {max(d.received_at for d in everything) - filed_at:.1f} s after the last change")


def test_a_gone_receiver_disables_its_subscription(server, receiver):
    admin = API(server, new_admin("humanitas"))
    subscription = admin.subscribe(receiver, "/gone")
    receiver.always["/gone"] = 410
    admin.ok("POST", f"/organisations/{admin.organisation()}/webhooks/{subscription}/ping")
    path = f"/organisations/{admin.organisation()}/webhooks/{subscription}"
    receiver.wait_for(lambda: admin.ok("GET", path)["status"] == "disabled", "a 410 did not disable the subscription")
    assert admin.ok("GET", path)["disabled_reason"] == "gone"
    assert len(receiver.received("/gone")) == 1 and receiver.received("/gone")[0].verified
    admin.ok("POST", f"{path}/ping")
    time.sleep(2)
    assert len(receiver.received("/gone")) == 1, "a disabled subscription is sent nothing"
    attempts = admin.ok("GET", f"{path}/attempts")
    assert [a["http_status"] for a in attempts] == [410]


def test_a_rotated_secret_signs_beside_the_old_one(server, receiver):
    admin = API(server, new_admin("terwille"))
    subscription = admin.subscribe(receiver, "/rotated")
    old = receiver.secrets["/rotated"][0]
    path = f"/organisations/{admin.organisation()}/webhooks/{subscription}"
    new = admin.ok("POST", f"{path}/rotate-secret")["secret"]
    message = admin.ok("POST", f"{path}/ping")["message_id"]
    receiver.wait_for(lambda: receiver.received("/rotated"), "the ping did not come")
    delivery = receiver.received("/rotated")[0]
    assert delivery.webhook_id == message and delivery.event["type"] == "ping"
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        receiver.secrets["/rotated"] = [secret]
        assert receiver.verify("/rotated", delivery.body, delivery.headers), "each secret alone verifies during the overlap"
    receiver.secrets["/rotated"] = ["whsec_" + "A" * 43 + "="]
    assert not receiver.verify("/rotated", delivery.body, delivery.headers), "another secret does not"
    deliveries = admin.ok("GET", f"{path}/deliveries")
    assert deliveries[0]["message_id"] == message and deliveries[0]["state"] == "delivered"
