"""A trace goes from a caller through Koppel to a partner's system: a caseworker's request carrying a W3C
`traceparent` files a referral, and the webhook delivery of its event carries the same trace to the receiver, as a
child of the request's span. With `tracing.otlp-endpoint` set, both spans are exported over OTLP/HTTP to a collector
(decoded with opentelemetry-proto), named by route template, never by an id or anything about the client."""
import json
import os
import urllib.request

import pytest

from conftest import KoppelServer
from otlp_receiver import OTLPReceiver
from test_notice_mail import sql
from test_webhooks import API, CANARIES, consented_client, new_admin, referral_body, token_for
from webhook_receiver import Receiver

CALLER_TRACE, CALLER_SPAN = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"


def file_traced_referral(server):
    """A referral filed with the caller's traceparent: its id, and the span Koppel names in `traceresponse`."""
    caseworker = API(server, token_for("caseworker@vluchtelingenwerk.example"))
    two_go = next(p["id"] for p in caseworker.ok("GET", "/programmes")["contents"] if p["name"].startswith("2GO"))
    client = consented_client(caseworker, two_go, ("name", "birth_date", "address"))
    body = referral_body(client, two_go)
    request = urllib.request.Request(server.url + "/api/v1/referrals", method="POST", data=json.dumps(body).encode(), headers={
        "Authorization": f"Bearer {caseworker.token}", "Content-Type": "application/json",
        "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"})
    with urllib.request.urlopen(request, timeout=20) as answer:
        referral = json.loads(answer.read())["id"]
        version, trace, span, flags = answer.headers["traceresponse"].split("-")
    assert (version, trace, flags) == ("00", CALLER_TRACE, "01") and span != CALLER_SPAN
    return referral, client, span


def delivered_traceparent(receiver, referral):
    receiver.wait_for(lambda: any(d.event["data"].get("referral_id") == referral for d in receiver.received("/operator")),
                      "the operator's receiver did not get the referral's event", timeout=30)
    delivery = next(d for d in receiver.received("/operator") if d.event["data"].get("referral_id") == referral)
    assert delivery.verified
    return delivery.headers.get("traceparent", "").split("-")


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()
    # Its subscriptions go with it: later tests' servers share the database and would keep trying them.
    sql(f"UPDATE webhook_subscriptions SET status = 'disabled' WHERE url LIKE '{receiver.url}/%'")


def test_a_webhook_delivery_carries_the_trace_of_the_request_that_caused_it(receiver):
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"], extra_env={"KOPPEL_HTTP_RATE_LIMIT": "0"})
    try:
        API(server, new_admin("stek")).subscribe(receiver, "/operator")
        referral, _, request_span = file_traced_referral(server)
        version, trace, parent, flags = delivered_traceparent(receiver, referral)
        # The delivery is a span of its own in the caller's trace; which span it hangs under is exported only with
        # OpenTelemetry (below).
        assert (version, trace, flags) == ("00", CALLER_TRACE, "01")
        assert len(parent) == 16 and parent not in (CALLER_SPAN, request_span)
    finally:
        assert server.stop() == 0


def test_with_an_otlp_endpoint_the_request_and_its_delivery_are_exported_as_one_trace(receiver):
    collector = OTLPReceiver()
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"], extra_env={
        "KOPPEL_HTTP_RATE_LIMIT": "0", "KOPPEL_TRACING_OTLP_ENDPOINT": collector.endpoint,
        # Short batches, so the test does not wait on the default five seconds.
        "OTEL_BSP_SCHEDULE_DELAY": "200"})
    try:
        API(server, new_admin("stek")).subscribe(receiver, "/operator")
        # Every server of the test run shares this database, and any of them may send a delivery (as any replica
        # would): a referral is filed again until this server, the one that exports, sent its event's delivery. Which
        # replica claims a delivery is chance; forty tries make losing every one unlikely even against three others.
        for _ in range(40):
            referral, client, request_span = file_traced_referral(server)
            _, trace, delivery_span, _ = delivered_traceparent(receiver, referral)
            assert trace == CALLER_TRACE

            def in_trace(spans):
                ids = {s.span_id for s in spans if s.trace_id == CALLER_TRACE}
                return spans if request_span in ids and delivery_span in ids else None
            try:
                # Batches are sent every 200 ms: a delivery this server sent is exported well within this.
                exported = collector.wait_for(in_trace, "not exported", timeout=2)
                break
            except AssertionError:
                with collector.lock:
                    assert request_span in {s.span_id for s in collector.spans}, "the request's own span was not exported"
        else:
            raise AssertionError("in 40 referrals this server never sent the delivery; another server of the run sent all")
        spans = {s.span_id: s for s in exported if s.trace_id == CALLER_TRACE}
        served, sent = spans[request_span], spans[delivery_span]
        # The request: a server span under the caller's, named by its route, with the ids its log line and answer gave.
        assert served.name == "POST /api/v1/referrals" and served.parent_span_id == CALLER_SPAN
        assert served.attributes.get("http.route") == "/api/v1/referrals" and served.attributes.get("http.response.status_code") == 201
        assert served.kind == 2  # SPAN_KIND_SERVER
        # The delivery: a client span under the request's, sent after the transaction that wrote the event committed.
        assert sent.name == "webhook delivery" and sent.parent_span_id == request_span and sent.kind == 3  # SPAN_KIND_CLIENT
        assert sent.attributes.get("http.response.status_code") == 200 and not sent.error
        assert collector.services == {"koppel"}
        # Nothing exported names the referral, the client, or anything the caseworker typed about them.
        with collector.lock:
            exported = repr([(s.name, s.attributes) for s in collector.spans])
        for value in (referral, client, *CANARIES.values()):
            assert value not in exported
        lines = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
        logged = [line for line in lines if line.get("span_id") == request_span]
        assert logged and logged[0].get("trace_id") == CALLER_TRACE, "the log line does not name the exported span"
    finally:
        assert server.stop() == 0
        collector.stop()
