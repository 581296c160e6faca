"""The FHIR R4 door (/fhir/r4) as a partner system meets it. Every resource Koppel returns here is validated with the
`fhir.resources` package (its R4B models, which are R4's for these resources): the CapabilityStatement, ServiceRequest,
Task, Consent, Patient, HealthcareService and Organization, the searchset Bundles and each of their entries, and the
OperationOutcome of every refusal. Resources Koppel cannot read are refused with 400 or 422, never a 5xx, and nothing is
stored. No FHIR answer carries a canary value of the client. And a journey across doors: a partner files a
ServiceRequest, the coordinator accepts it on the web page in Chromium, the partner sees the Task accepted through FHIR
and the same state in the JSON API, and another organisation's caseworker is told that none of it exists."""
import datetime
import json
import os
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

import pytest
from fhir.resources.R4B import get_fhir_model_class
from selenium.webdriver.common.by import By

from conftest import KoppelServer
from test_notice_journey import arrive, first_sign_in, new_person
from test_referral_journey import sign_out
from test_sign_in_journey import submit
from test_webhooks import API, CANARIES, token_for

CODES = "https://koppel.nl/fhir/CodeSystem"
EXTENSIONS = "https://koppel.nl/fhir/StructureDefinition"
PARTNER_SYSTEM = "https://zaaksysteem.partner.example/verwijzingen"
# Resources that stand for something Koppel keeps: each carries its version and time of change.
DOMAIN_TYPES = {"ServiceRequest", "Task", "Consent", "Patient", "HealthcareService", "Organization"}


# --- Validation ---------------------------------------------------------------------------------------------------------

def validate(resource, expected=None):
    """Validates one resource with fhir.resources' R4B model of its resourceType; returns the resource."""
    assert isinstance(resource, dict), f"not a JSON object: {resource!r:.200}"
    kind = resource.get("resourceType")
    if expected is not None:
        assert kind == expected, f"expected a {expected}, got {kind}: {json.dumps(resource)[:300]}"
    get_fhir_model_class(kind).model_validate(resource)  # raises pydantic's ValidationError, naming the element
    assert_no_empty_elements(resource, kind)
    if kind in DOMAIN_TYPES:
        meta = resource.get("meta", {})
        assert meta.get("versionId") and meta.get("lastUpdated"), f"{kind} without meta.versionId/lastUpdated: {meta}"
    return resource


def assert_no_empty_elements(value, path):
    """FHIR JSON has no empty arrays, objects or strings (which the models let pass and the HL7 validator refuses)."""
    if isinstance(value, dict):
        assert value, f"{path} is an empty object"
        for key, item in value.items():
            assert_no_empty_elements(item, f"{path}.{key}")
    elif isinstance(value, list):
        assert value, f"{path} is an empty array"
        for index, item in enumerate(value):
            assert_no_empty_elements(item, f"{path}[{index}]")
    elif isinstance(value, str):
        assert value, f"{path} is an empty string"


def validate_bundle(bundle, entry_type=None):
    """Validates a searchset Bundle as a whole and each entry's resource by its own resourceType; returns the resources."""
    validate(bundle, "Bundle")
    assert bundle["type"] == "searchset"
    resources = []
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        if entry_type is not None:
            assert resource["resourceType"] == entry_type, f"a {resource['resourceType']} in a search for {entry_type}"
        validate(resource)
        assert entry["fullUrl"].endswith(f"/fhir/r4/{resource['resourceType']}/{resource['id']}"), entry["fullUrl"]
        resources.append(resource)
    return resources


# --- A partner's FHIR client --------------------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    text: str
    headers: dict
    json: dict = field(default_factory=dict)

    @property
    def issue(self):
        return self.json.get("issue", [{}])[0]


class FHIR:
    """Calls /fhir/r4 with an API token. Every answer is checked on the way in: never a 5xx, always FHIR JSON, every
    resource and Bundle valid, every refusal an OperationOutcome. All answers are kept for the canary check."""

    def __init__(self, server, token):
        self.base, self.token, self.answers = server.url + "/fhir/r4/", token, []

    def __call__(self, method, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        sent = {"Accept": "application/fhir+json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if data is not None:
            sent["Content-Type"] = "application/fhir+json"
        request = urllib.request.Request(self.base + path.lstrip("/"), method=method, data=data, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                status, text, got = response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, text, got = error.code, error.read().decode(), dict(error.headers)
        answer = Answer(status, text, {k.lower(): v for k, v in got.items()})
        self.answers.append(answer)
        assert status < 500, f"{method} {path}: {status} {text[:500]}"
        assert answer.headers.get("content-type", "").startswith("application/fhir+json"), f"{method} {path}: {answer.headers}"
        answer.json = json.loads(text)
        if answer.json.get("resourceType") == "Bundle":
            validate_bundle(answer.json)
        else:
            validate(answer.json)
        if status >= 400:
            assert answer.json["resourceType"] == "OperationOutcome", f"{method} {path}: {status} {text[:300]}"
            assert answer.issue["severity"] == "error" and answer.issue["details"]["text"]
        return answer

    def ok(self, method, path, body=None, headers=None):
        answer = self(method, path, body, headers)
        assert 200 <= answer.status < 300, f"{method} {path}: {answer.status} {answer.text[:500]}"
        return answer

    def read(self, kind, id):
        return validate(self.ok("GET", f"{kind}/{id}").json, kind)

    def search(self, kind, query):
        return validate_bundle(self.ok("GET", f"{kind}?{query}").json, kind)

    def everything(self):
        return "\n".join(answer.text for answer in self.answers)


# --- What the tests file ------------------------------------------------------------------------------------------------

def service_request(patient, programme, identifier=None, **changes):
    """A ServiceRequest for 2GO that meets its rules (a victim of trafficking, 26-35, in Den Haag)."""
    resource = {
        "resourceType": "ServiceRequest", "status": "active", "intent": "order", "priority": "urgent",
        "subject": {"reference": f"Patient/{patient}"}, "performer": [{"reference": f"HealthcareService/{programme}"}],
        "category": [{"coding": [{"system": f"{CODES}/target-group", "code": "human_trafficking"}]}],
        "extension": [{"url": f"{EXTENSIONS}/age-band", "valueCode": "26-35"}],
        "locationCode": [{"coding": [{"system": f"{CODES}/municipality", "code": "Den Haag"}]}],
        "reasonCode": [{"coding": [{"system": f"{CODES}/need", "code": "social_contact"}]}],
    }
    if identifier:
        resource["identifier"] = [{"system": PARTNER_SYSTEM, "value": identifier}]
    resource.update(changes)
    return {key: value for key, value in resource.items() if value is not None}


def consent(patient, organisation, programme):
    """A partner's consent record: nothing without consent, but the referrer and the programme may process the referral
    and see who the client is, for a year."""
    def permit(reference):
        return {"type": "permit", "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
                                             "reference": {"reference": reference}}],
                "purpose": [{"system": f"{CODES}/consent-purpose", "code": "referral"},
                            {"system": f"{CODES}/consent-purpose", "code": "share_identity"}],
                "class": [{"system": f"{CODES}/data-class", "code": "identity"}]}
    today = datetime.date.today()
    return {
        "resourceType": "Consent", "status": "active", "patient": {"reference": f"Patient/{patient}"}, "dateTime": today.isoformat(),
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "policyRule": {"coding": [{"system": f"{CODES}/legal-basis", "code": "explicit_consent"}]},
        "provision": {"type": "deny", "period": {"start": today.isoformat(), "end": (today + datetime.timedelta(days=365)).isoformat()},
                      "provision": [permit(f"Organization/{organisation}"), permit(f"HealthcareService/{programme}")]},
    }


@dataclass
class Partner:
    """A partner system of VluchtelingenWerk (a caseworker's token), and who else takes part."""
    server: KoppelServer
    fhir: FHIR
    api: API
    organisation: str
    two_go: str
    stek: str
    coordinator_email: str
    coordinator_initial: str
    coordinator: FHIR
    other: FHIR
    funder: FHIR

    def register_client(self, identity=None):
        """A client registered through the JSON API, who they are going to the vault; returns the pseudonymous id."""
        return self.api.ok("POST", "/clients", identity or {"name": "Tigist Haile", "birth_date": "1995-02-11"})["id"]

    def consented_client(self, identity=None):
        patient = self.register_client(identity)
        created = self.fhir.ok("POST", "Consent", consent(patient, self.organisation, self.two_go))
        assert created.status == 201
        return patient, created.json["id"]

    def file(self, identifier=None, identity=None):
        """A consented client and a ServiceRequest for 2GO filed for them through FHIR; returns (patient, referral id)."""
        patient, _ = self.consented_client(identity)
        created = self.fhir.ok("POST", "ServiceRequest", service_request(patient, self.two_go, identifier))
        assert created.status == 201, created.text
        assert created.headers["location"].endswith(f"/fhir/r4/ServiceRequest/{created.json['id']}")
        return patient, created.json["id"]

    def referral_count(self):
        """How many referrals the partner's organisation sees that were made since yesterday, through the JSON API."""
        since = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
        count, cursor = 0, None
        for _ in range(100):
            page = self.api.ok("GET", f"/referrals?limit=100&created_from={since}" + (f"&cursor={cursor}" if cursor else ""))
            count += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return count
        raise AssertionError("more than 10,000 referrals today")


@pytest.fixture(scope="module")
def server():
    # Rate limits off: the tests make many calls quickly as a few callers.
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"], extra_env={"KOPPEL_HTTP_RATE_LIMIT": "0"})
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def partner(server):
    caseworker, _ = new_person("vluchtelingenwerk", "caseworker")
    coordinator, coordinator_initial = new_person("stek", "coordinator", "--programme", "2go")
    other, _ = new_person("humanitas", "caseworker")
    funder, _ = new_person("gemeente-den-haag", "funder")
    api = API(server, token_for(caseworker))
    two_go = next(p for p in api.ok("GET", "/programmes")["contents"] if p["name"].startswith("2GO"))
    stek = FHIR(server, token_for(coordinator))
    return Partner(
        server=server, fhir=FHIR(server, token_for(caseworker)), api=api, organisation=api.organisation(), two_go=two_go["id"],
        stek=API(server, token_for(coordinator)).organisation(), coordinator_email=coordinator, coordinator_initial=coordinator_initial,
        coordinator=stek, other=FHIR(server, token_for(other)), funder=FHIR(server, token_for(funder)))


def next_path(bundle):
    url = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)
    return url.split("/fhir/r4/", 1)[1] if url else None


# --- Reading what Koppel serves -----------------------------------------------------------------------------------------

def test_the_capability_statement_is_valid_and_lists_the_six_resources(server):
    statement = FHIR(server, None).ok("GET", "metadata").json
    validate(statement, "CapabilityStatement")
    assert statement["fhirVersion"].startswith("4.0") and statement["kind"] == "instance"
    resources = {resource["type"]: resource for resource in statement["rest"][0]["resource"]}
    assert set(resources) == {"ServiceRequest", "Task", "Consent", "Patient", "HealthcareService", "Organization"}
    assert [i["code"] for i in resources["Task"]["interaction"]] == ["read", "search-type", "update"]
    assert {p["name"] for p in resources["ServiceRequest"]["searchParam"]} >= {"status", "subject", "performer", "_lastUpdated"}


def test_a_filed_service_request_reads_and_searches_as_valid_fhir(partner):
    identifier = f"VW-{uuid.uuid4().hex[:10]}"
    patient, id = partner.file(identifier)
    read = partner.fhir.ok("GET", f"ServiceRequest/{id}")
    request = validate(read.json, "ServiceRequest")
    assert read.headers["etag"] == f'W/"{request["meta"]["versionId"]}"'
    assert request["status"] == "active" and request["intent"] == "order" and request["priority"] == "urgent"
    assert request["subject"]["reference"] == f"Patient/{patient}"
    assert request["performer"][0]["reference"] == f"HealthcareService/{partner.two_go}"
    assert {"system": PARTNER_SYSTEM, "value": identifier} in request["identifier"]
    assert request["category"][0]["coding"][0]["code"] == "human_trafficking"
    assert request["extension"][0] == {"url": f"{EXTENSIONS}/age-band", "valueCode": "26-35"}

    # A retry with the same identifier files nothing and answers with the same ServiceRequest.
    before = partner.referral_count()
    again = partner.fhir.ok("POST", "ServiceRequest", service_request(patient, partner.two_go, identifier),
                            headers={"If-None-Exist": f"identifier={PARTNER_SYSTEM}|{identifier}"})
    assert again.status == 200 and again.json["id"] == id
    assert partner.referral_count() == before

    found = partner.fhir.search("ServiceRequest", f"subject=Patient/{patient}&status=active")
    assert [r["id"] for r in found] == [id]
    assert [r["id"] for r in partner.fhir.search("ServiceRequest", f"identifier={PARTNER_SYSTEM}|{identifier}")] == [id]
    assert partner.fhir.search("ServiceRequest", f"subject=Patient/{patient}&status=revoked") == []
    # The coordinator's search: the programme's referrals waiting for an answer, a page at a time.
    page = partner.coordinator.ok("GET", f"ServiceRequest?performer=HealthcareService/{partner.two_go}&status=active&_count=2").json
    assert len(page["entry"]) <= 2 and all(e["resource"]["performer"][0]["reference"].endswith(partner.two_go) for e in page["entry"])
    if next_path(page):
        validate_bundle(partner.coordinator.ok("GET", next_path(page)).json, "ServiceRequest")


def test_search_pages_through_searchset_bundles(partner):
    patient, _ = partner.consented_client()
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)).replace(microsecond=0)
    filed = {partner.fhir.ok("POST", "ServiceRequest", service_request(patient, partner.two_go)).json["id"] for _ in range(3)}
    seen, path = [], f"ServiceRequest?subject=Patient/{patient}&_count=2"
    for _ in range(5):
        bundle = partner.fhir.ok("GET", path).json
        seen += [r["id"] for r in validate_bundle(bundle, "ServiceRequest")]
        path = next_path(bundle)
        if not path:
            break
    assert sorted(seen) == sorted(filed)
    # Tasks changed since just before the filing: these three among them, and none changed earlier.
    tasks = partner.fhir.search("Task", f"status=requested&_count=100&_lastUpdated=ge{since.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    assert filed <= {t["id"] for t in tasks}
    assert all(datetime.datetime.fromisoformat(t["meta"]["lastUpdated"].replace("Z", "+00:00")) >= since for t in tasks)


def test_the_coordinator_updates_the_task_and_the_state_machine_holds(partner):
    _, id = partner.file()
    task = partner.coordinator.read("Task", id)
    assert task["status"] == "requested" and task["focus"]["reference"] == f"ServiceRequest/{id}"
    assert task["owner"]["reference"] == f"Organization/{partner.stek}"
    version = task["meta"]["versionId"]

    # A step the state machine forbids, a stale version and the referrer's own update are refused as OperationOutcomes.
    impossible = partner.coordinator("PUT", f"Task/{id}", {**task, "status": "completed"}, headers={"If-Match": f'W/"{version}"'})
    assert impossible.status == 422 and impossible.issue["code"] == "business-rule"
    accept = {key: value for key, value in task.items() if key != "businessStatus"} | {"status": "accepted"}
    stale = partner.coordinator("PUT", f"Task/{id}", accept, headers={"If-Match": f'W/"{int(version) + 5}"'})
    assert stale.status == 412
    assert partner.fhir("PUT", f"Task/{id}", accept, headers={"If-Match": f'W/"{version}"'}).status == 403
    assert partner.coordinator.read("Task", id)["meta"]["versionId"] == version, "nothing changed"

    accepted = partner.coordinator.ok("PUT", f"Task/{id}", accept, headers={"If-Match": f'W/"{version}"'})
    validate(accepted.json, "Task")
    assert accepted.json["status"] == "accepted" and accepted.headers["etag"] == f'W/"{int(version) + 1}"'
    assert partner.fhir.read("Task", id)["status"] == "accepted"
    assert [t["id"] for t in partner.fhir.search("Task", f"focus=ServiceRequest/{id}")] == [id]
    assert id in {t["id"] for t in partner.coordinator.search("Task", f"owner=Organization/{partner.stek}&status=accepted&_count=100")}
    assert partner.api.ok("GET", f"/referrals/{id}")["state"] == "accepted"


def test_consents_are_created_read_and_searched_as_valid_fhir(partner):
    patient, id = partner.consented_client()
    read = partner.fhir.read("Consent", id)
    assert read["status"] == "active" and read["patient"]["reference"] == f"Patient/{patient}"
    actors = {p["actor"][0]["reference"]["reference"] for p in read["provision"]["provision"]}
    assert actors == {f"Organization/{partner.organisation}", f"HealthcareService/{partner.two_go}"}
    assert [c["id"] for c in partner.fhir.search("Consent", f"patient=Patient/{patient}")] == [id]
    assert [c["id"] for c in partner.fhir.search("Consent", f"patient=Patient/{patient}&status=active")] == [id]
    assert partner.fhir.search("Consent", f"patient=Patient/{patient}&status=inactive") == []
    assert partner.other("GET", f"Consent/{id}").status == 404


def test_patients_are_pseudonymous_in_read_and_search(partner):
    patient, _ = partner.file()
    for fhir in (partner.fhir, partner.coordinator):
        shown = fhir.read("Patient", patient)
        assert set(shown) == {"resourceType", "id", "meta", "identifier"}
        assert shown["identifier"] == [{"system": f"{CODES}/client-id", "value": patient}]
    assert [p["id"] for p in partner.fhir.search("Patient", f"_id={patient}")] == [patient]
    assert [p["id"] for p in partner.fhir.search("Patient", f"identifier={CODES}/client-id|{patient}")] == [patient]
    assert partner.other.search("Patient", f"_id={patient}") == []


def test_the_directory_reads_and_searches_as_valid_fhir(partner):
    services = partner.fhir.search("HealthcareService", "name=2GO")
    assert [s["id"] for s in services] == [partner.two_go]
    service = partner.fhir.read("HealthcareService", partner.two_go)
    assert service["providedBy"]["reference"] == f"Organization/{partner.stek}" and service["active"] is True
    every = partner.fhir.search("HealthcareService", "")
    assert len(every) > 1 and partner.two_go in {s["id"] for s in every}
    assert partner.two_go in {s["id"] for s in partner.fhir.search("HealthcareService", f"organization=Organization/{partner.stek}&active=true")}

    organisation = partner.fhir.read("Organization", partner.stek)
    assert organisation["name"] == "Stek"
    assert [o["id"] for o in partner.fhir.search("Organization", "name=Stek")] == [partner.stek]
    assert len(partner.fhir.search("Organization", "")) > 2


def test_refusals_are_operation_outcomes(server, partner):
    _, id = partner.file()
    assert FHIR(server, None)("GET", f"ServiceRequest/{id}").status == 401
    assert FHIR(server, "kp_not-a-token")("GET", "Patient?_id=" + id).status == 401
    assert partner.funder("GET", f"ServiceRequest/{id}").status == 403
    assert partner.fhir("GET", f"ServiceRequest/{uuid.uuid4()}").status == 404
    assert partner.fhir("GET", "Task/not-a-uuid").status == 404
    assert partner.fhir("GET", f"HealthcareService/{uuid.uuid4()}").status == 404
    assert partner.fhir("GET", f"Organization/{uuid.uuid4()}").status == 404
    assert partner.fhir("GET", "ServiceRequest?colour=red").status == 400
    assert partner.fhir("GET", "ServiceRequest?_count=1000").status == 400
    assert partner.fhir("GET", "ServiceRequest?status=exploded").status == 400
    assert partner.fhir("GET", "ServiceRequest?subject=Group/123").status == 400
    assert partner.fhir("GET", "Task?_lastUpdated=yesterday").status == 400


# --- Resources Koppel cannot read: refused, nothing stored ---------------------------------------------------------------

def without(resource, key):
    return {k: v for k, v in resource.items() if k != key}


def with_consent_rule(resource, **changes):
    base = dict(resource["provision"])
    base["provision"] = [dict(base["provision"][0], **changes)] + base["provision"][1:]
    return dict(resource, provision=base)


SERVICE_REQUESTS = {
    # name: (how the valid ServiceRequest is spoilt, the status, the element the OperationOutcome names or None)
    "missing subject": (lambda r, p: without(r, "subject"), 422, "ServiceRequest.subject"),
    "unknown target group code": (lambda r, p: dict(r, category=[{"coding": [{"system": f"{CODES}/target-group", "code": "pirates"}]}]),
                                  422, "ServiceRequest.category[0].coding[0].code"),
    "unknown age band": (lambda r, p: dict(r, extension=[{"url": f"{EXTENSIONS}/age-band", "valueCode": "200-300"}]), 422, None),
    "unknown need": (lambda r, p: dict(r, reasonCode=[{"coding": [{"system": f"{CODES}/need", "code": "treasure"}]}]), 422, None),
    "unknown status": (lambda r, p: dict(r, status="completed"), 422, "ServiceRequest.status"),
    "unknown priority": (lambda r, p: dict(r, priority="whenever"), 422, "ServiceRequest.priority"),
    "wrong resource type": (lambda r, p: dict(r, resourceType="Task"), 400, "ServiceRequest.resourceType"),
    "no resource type": (lambda r, p: without(r, "resourceType"), 400, None),
    "performer references a Practitioner": (lambda r, p: dict(r, performer=[{"reference": f"Practitioner/{p}"}]),
                                            422, "ServiceRequest.performer[0].reference"),
    "subject references a Group": (lambda r, p: dict(r, subject={"reference": f"Group/{p}"}), 422, "ServiceRequest.subject.reference"),
    "subject is not an object": (lambda r, p: dict(r, subject=f"Patient/{p}"), 400, "ServiceRequest.subject"),
    "two performers": (lambda r, p: dict(r, performer=r["performer"] * 2), 422, "ServiceRequest.performer"),
}

CONSENTS = {
    "nested provision": (lambda c: with_consent_rule(c, provision=[{"type": "deny"}]), 422, "Consent.provision.provision[0].provision"),
    "purpose from another code system": (lambda c: with_consent_rule(c, purpose=[{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}]),
                                         422, None),
    "actor references a Practitioner": (lambda c: with_consent_rule(c, actor=[{"reference": {"reference": f"Practitioner/{uuid.uuid4()}"}}]), 422, None),
    "base provision permits": (lambda c: dict(c, provision=dict(c["provision"], type="permit")), 422, "Consent.provision.type"),
    "missing patient": (lambda c: without(c, "patient"), 422, "Consent.patient"),
    "wrong resource type": (lambda c: dict(c, resourceType="Patient"), 400, "Consent.resourceType"),
}


@pytest.mark.parametrize("case", SERVICE_REQUESTS)
def test_an_invalid_service_request_is_refused_and_nothing_is_stored(partner, case):
    spoil, status, element = SERVICE_REQUESTS[case]
    patient, _ = partner.consented_client()
    before = partner.referral_count()
    refused = partner.fhir("POST", "ServiceRequest", spoil(service_request(patient, partner.two_go), patient))
    assert refused.status == status, refused.text
    if element:
        assert refused.issue["expression"] == [element]
    assert partner.referral_count() == before
    assert partner.fhir.search("ServiceRequest", f"subject=Patient/{patient}") == []


@pytest.mark.parametrize("body", [b"{nope", b"[]", b"", b'"ServiceRequest"', json.dumps({"resourceType": "ServiceRequest"}).encode()])
def test_a_body_that_is_no_service_request_is_refused_and_nothing_is_stored(partner, body):
    before = partner.referral_count()
    refused = partner.fhir("POST", "ServiceRequest", raw=body)
    assert refused.status in (400, 422), refused.text
    assert partner.referral_count() == before


@pytest.mark.parametrize("case", CONSENTS)
def test_an_invalid_consent_is_refused_and_nothing_is_stored(partner, case):
    spoil, status, element = CONSENTS[case]
    patient = partner.register_client()
    refused = partner.fhir("POST", "Consent", spoil(consent(patient, partner.organisation, partner.two_go)))
    assert refused.status == status, refused.text
    if element:
        assert refused.issue["expression"] == [element]
    assert partner.fhir.search("Consent", f"patient=Patient/{patient}") == []
    # Without a consent, nothing can be filed for the client either.
    assert partner.fhir("POST", "ServiceRequest", service_request(patient, partner.two_go)).status == 422


@pytest.mark.parametrize("spoil, status", [
    (lambda t: dict(t, resourceType="ServiceRequest"), 400),
    (lambda t: dict(t, status="exploded"), 422),
    (lambda t: without(t, "status"), 422),
    (lambda t: dict(t, id=str(uuid.uuid4()), status="accepted"), 400),
], ids=["wrong resource type", "unknown status", "missing status", "another id"])
def test_an_invalid_task_update_is_refused_and_changes_nothing(partner, spoil, status):
    _, id = partner.file()
    task = partner.coordinator.read("Task", id)
    refused = partner.coordinator("PUT", f"Task/{id}", spoil(task))
    assert refused.status == status, refused.text
    after = partner.coordinator.read("Task", id)
    assert after["status"] == "requested" and after["meta"]["versionId"] == task["meta"]["versionId"]


# --- Canaries -----------------------------------------------------------------------------------------------------------

def test_no_fhir_answer_carries_who_the_client_is(partner):
    identity = {key: CANARIES[key] for key in ("name", "birth_date", "phone", "email", "address", "safety_notes", "notes")}
    identifier = f"VW-{uuid.uuid4().hex[:10]}"
    patient, id = partner.file(identifier, identity=identity)
    partner.api.ok("POST", f"/referrals/{id}/messages", {"text": CANARIES["message"]})
    consent_id = partner.fhir.search("Consent", f"patient=Patient/{patient}")[0]["id"]
    for fhir in (partner.fhir, partner.coordinator):
        fhir.read("Patient", patient)
        fhir.search("Patient", f"_id={patient}")
        fhir.search("Patient", f"identifier={CODES}/client-id|{patient}")
        fhir.read("ServiceRequest", id)
        fhir.search("ServiceRequest", f"subject=Patient/{patient}")
        fhir.read("Task", id)
        fhir.search("Task", f"focus=ServiceRequest/{id}")
    partner.fhir.search("ServiceRequest", f"identifier={PARTNER_SYSTEM}|{identifier}")
    partner.fhir.read("Consent", consent_id)
    partner.fhir.search("Consent", f"patient=Patient/{patient}")
    task = partner.coordinator.read("Task", id)
    partner.coordinator.ok("PUT", f"Task/{id}", without(task, "businessStatus") | {"status": "accepted"})
    partner.fhir.read("Task", id)

    answers = partner.fhir.everything() + partner.coordinator.everything()
    assert patient in answers, "the answers are the client's"
    values = dict(identity, message=CANARIES["message"])
    values["birth_date (Dutch)"] = "-".join(reversed(CANARIES["birth_date"].split("-")))
    for field_name, value in values.items():
        assert value.lower() not in answers.lower(), f"a FHIR answer carries the client's {field_name}"


# --- A journey across doors, in the browser -----------------------------------------------------------------------------

def test_a_partner_files_through_fhir_the_coordinator_accepts_on_the_web_and_the_partner_sees_it(partner, fresh_browser):
    browser = fresh_browser
    identifier = f"VW-{uuid.uuid4().hex[:10]}"
    patient, id = partner.file(identifier)
    assert partner.fhir.read("Task", id)["status"] == "requested"

    # The programme's coordinator signs in to the web pages and accepts the referral on its page.
    first_sign_in(browser, partner.server.url, partner.coordinator_email, partner.coordinator_initial)
    browser.get(partner.server.url + "/referrals")
    queue = browser.find_element(By.ID, "queue")
    assert "VluchtelingenWerk" in queue.text
    queue.find_element(By.CSS_SELECTOR, f"a[href='/referrals/{id}']").click()
    arrive(browser, f"/referrals/{id}")
    assert browser.find_element(By.ID, "referral-state").text == "Ingediend"
    submit(browser, "#step-accept button")
    assert browser.find_element(By.ID, "referral-state").text == "Aangenomen"
    sign_out(browser)

    # The partner sees it through FHIR and through the JSON API alike.
    task = partner.fhir.read("Task", id)
    assert task["status"] == "accepted" and task["meta"]["versionId"] == "2"
    assert task["businessStatus"]["coding"][0]["code"] == "accepted"
    assert partner.fhir.read("ServiceRequest", id)["status"] == "active"
    assert id in {t["id"] for t in partner.fhir.search("Task", f"focus=ServiceRequest/{id}&status=accepted")}
    assert partner.api.ok("GET", f"/referrals/{id}")["state"] == "accepted"

    # A caseworker of another organisation is told none of it exists.
    for path in (f"ServiceRequest/{id}", f"Task/{id}", f"Patient/{patient}"):
        hidden = partner.other("GET", path)
        assert hidden.status == 404, f"{path}: {hidden.status}"
        assert hidden.issue["code"] == "not-found"
    assert partner.other.search("ServiceRequest", f"identifier={PARTNER_SYSTEM}|{identifier}") == []
    assert partner.other.search("Task", f"focus=ServiceRequest/{id}") == []
