"""Koppel as an Open Referral HSDS 3.0 publisher and importer. Every document served at /hsds is validated against the
official compiled schemas (hsds-3.0/, copied into the repository), lists in HSDS's page shape; bad query values get a
400 that says what to fix; nothing in them says who a client is. Hub-admins import a municipality's social map: a dry
run stores nothing, an import adds, a second changes nothing, a changed file updates, a broken one is refused whole,
with each error named. Runs on a database of its own, so the other journeys' directory stays as the demo has it."""
import gzip
import json
import os
import subprocess
import urllib.parse
import urllib.request
import uuid

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from conftest import KoppelServer
from test_webhooks import API, CANARIES, file_referral

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def schema(name):
    with gzip.open(os.path.join(HERE, "hsds-3.0", f"{name}.json.gz"), "rt", encoding="utf-8") as file:
        return Draft202012Validator(json.load(file), format_checker=FormatChecker())


SCHEMAS = {name: schema(name) for name in
           ("service", "service_list", "organization", "organization_list", "service_at_location_list")}
PAGE_FIELDS = {"total_items": int, "total_pages": int, "page_number": int, "size": int, "first_page": bool,
               "last_page": bool, "empty": bool, "contents": list}


def valid(name, document):
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in SCHEMAS[name].iter_errors(document)]
    assert not errors, f"not a valid HSDS 3.0 {name}: {errors[:5]}"
    return document


def with_url(url, database):
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/" + database))


class Database:
    """A fresh Koppel database on the run's cluster: migrated, the demo directory, people made with the CLI."""

    def __init__(self):
        self.name = f"koppel_test_hsds_{uuid.uuid4().hex[:8]}"
        self.admin = os.environ["KOPPEL_TEST_ADMIN_URL"]
        owner, app, vault = (os.environ[n] for n in ("KOPPEL_OWNER_DATABASE_URL", "KOPPEL_E2E_DATABASE_URL", "KOPPEL_VAULT_DATABASE_URL"))
        password = lambda url: urllib.parse.unquote(urllib.parse.urlsplit(url).password)
        subprocess.run(["psql", self.admin, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-v", f"dbname={self.name}",
                        "-v", f"owner_password={password(owner)}", "-v", f"app_password={password(app)}",
                        "-v", f"vault_password={password(vault)}", "-f", os.path.join(ROOT, "deploy", "postgres", "bootstrap.sql")],
                       check=True, capture_output=True)
        self.owner, self.app, self.vault = (with_url(url, self.name) for url in (owner, app, vault))
        self.cli("migrate")
        self.cli("seed-demo")

    def cli(self, *arguments, check=True):
        env = dict(os.environ, KOPPEL_OWNER_DATABASE_URL=self.owner)
        return subprocess.run([os.environ["KOPPEL_TEST_BIN"], *arguments], env=env, capture_output=True, text=True, check=check)

    def token(self, organisation, role, *extra):
        email = f"hsds-{role}-{uuid.uuid4().hex[:6]}@{organisation}.example"
        self.cli("user", "create", "--org", organisation, "--email", email, "--name", "HSDS", "--role", role, *extra)
        return self.cli("token", "create", "--user", email, "--name", "hsds", "--expires-in", "1").stdout.strip().splitlines()[-1]

    def programme_count(self):
        return int(subprocess.run(["psql", with_url(self.admin, self.name), "-X", "-t", "-A", "-c", "SELECT count(*) FROM programmes"],
                                  capture_output=True, text=True, check=True).stdout.strip())

    def drop(self):
        subprocess.run(["psql", self.admin, "-q", "-X", "-c", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"], capture_output=True)


@pytest.fixture(scope="module")
def world():
    database = Database()
    server = KoppelServer(database.app, extra_env={"KOPPEL_VAULT_DATABASE_URL": database.vault, "KOPPEL_HTTP_RATE_LIMIT": "0"})
    yield database, server
    server.stop()
    database.drop()


def get(server, path, language="nl"):
    request = urllib.request.Request(server.url + path, headers={"Accept-Language": language})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def page(server, path, item_schema, language="nl"):
    status, document = get(server, path, language)
    assert status == 200, f"{path}: {status} {document}"
    for field, kind in PAGE_FIELDS.items():
        assert isinstance(document.get(field), kind), f"{path}: {field} is not a {kind.__name__}"
    assert document["size"] == len(document["contents"])
    for item in document["contents"]:
        valid(item_schema, item)
    return document


def every_document(server, language="nl"):
    """Every HSDS document Koppel serves, each validated; the documents by path."""
    served = {}
    status, root = get(server, "/hsds")
    assert status == 200 and root["version"] == "3.0"
    served["/hsds"] = root
    services = page(server, "/hsds/services?per_page=100", "service_list", language)
    served["/hsds/services"] = services
    for item in services["contents"]:
        status, service = get(server, f"/hsds/services/{item['id']}", language)
        assert status == 200
        served[f"/hsds/services/{item['id']}"] = valid("service", service)
    organizations = page(server, "/hsds/organizations?per_page=100", "organization_list", language)
    served["/hsds/organizations"] = organizations
    for item in organizations["contents"]:
        status, organization = get(server, f"/hsds/organizations/{item['id']}", language)
        assert status == 200
        served[f"/hsds/organizations/{item['id']}"] = valid("organization", organization)
    served["/hsds/service_at_locations"] = page(server, "/hsds/service_at_locations", "service_at_location_list", language)
    return served


def test_every_document_validates_against_the_official_schemas_in_both_languages(world):
    database, server = world
    coordinator = API(server, database.token("stek", "coordinator", "--programme", "2go"))
    two_go = next(p["id"] for p in coordinator.ok("GET", "/programmes")["contents"] if p["name"].startswith("2GO"))
    coordinator.ok("POST", f"/programmes/{two_go}/directory-confirmation")
    for language in ("nl", "en"):
        served = every_document(server, language)
        assert served["/hsds/services"]["total_items"] == 5
        assert served["/hsds/service_at_locations"]["empty"] is True
        service = served[f"/hsds/services/{two_go}"]
        assert service["assured_date"], "the coordinator's confirmation is published"
        free = [a for a in service["attributes"] if a["taxonomy_term"]["code"] == "free_places"]
        assert free and free[0]["value"] == "25"
    # Paging: every service once over pages of two, the page flags right.
    seen, number = [], 1
    while True:
        current = page(server, f"/hsds/services?per_page=2&page={number}", "service_list")
        seen += [s["id"] for s in current["contents"]]
        assert current["first_page"] == (number == 1) and current["last_page"] == (number == current["total_pages"])
        if current["last_page"]:
            break
        number += 1
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize("query, says", [
    ("/hsds/services?page=0", "page must be a whole number from 1"),
    ("/hsds/services?per_page=10000", "per_page must be a whole number from 1 to 100"),
    ("/hsds/services?modified_after=garbage", "modified_after must be a date-time"),
    ("/hsds/organizations?modified_after=2026-13-45", "modified_after must be a date-time"),
    ("/hsds/services?page=1e3", "page must be a whole number"),
    ("/hsds/services?search=" + "x" * 201, "search may have at most 200 characters"),
    ("/hsds/services?search=%27%20OR%201%3D1--&page=-5", "page must be a whole number"),
    ("/hsds/services/1%27%20OR%201%3D1", "is not a service id"),
    ("/hsds/services?format=ndjson", "format 'ndjson' is not served here"),
    ("/hsds/service_at_locations?page=abc", "page must be a whole number"),
])
def test_bad_query_values_get_a_400_that_says_what_to_fix(world, query, says):
    _, server = world
    status, problem = get(server, query)
    assert status == 400, f"{query}: {status} {problem}"
    assert says in problem["detail"], problem["detail"]


def test_search_is_literal_and_modified_after_filters(world):
    _, server = world
    assert page(server, "/hsds/services?search=%25", "service_list")["total_items"] == 0
    assert page(server, "/hsds/services?search=pimenta", "service_list")["total_items"] == 1
    assert page(server, "/hsds/services?modified_after=2999-01-01T00:00:00Z", "service_list")["total_items"] == 0
    assert page(server, "/hsds/services?modified_after=2000-01-01", "service_list")["total_items"] == 5


def test_nothing_identifying_about_clients_in_any_document(world):
    database, server = world
    caseworker = API(server, database.token("vluchtelingenwerk", "caseworker"))
    coordinator = API(server, database.token("stek", "coordinator", "--programme", "2go"))
    two_go = next(p["id"] for p in caseworker.ok("GET", "/programmes")["contents"] if p["name"].startswith("2GO"))
    referral = file_referral(caseworker, two_go)
    coordinator.ok("POST", f"/referrals/{referral}/transitions", {"action": "accept"})
    coordinator.ok("POST", f"/referrals/{referral}/messages", {"text": CANARIES["message"]})
    served = json.dumps(every_document(server), ensure_ascii=False)
    for name, value in CANARIES.items():
        assert value not in served, f"the client's {name} is in an HSDS document"
    assert referral not in served
    free = [a for a in served_service(server, two_go)["attributes"] if a["taxonomy_term"]["code"] == "free_places"]
    assert free[0]["value"] == "24", "the accepted referral takes a place"


def served_service(server, identifier):
    return get(server, f"/hsds/services/{identifier}")[1]


ORGANIZATION = "0b6d1e2a-3c4f-4a5b-8c6d-7e8f9a0b1c2d"
BUDDIES = "1c7e2f3b-4d5a-4b6c-9d7e-8f9a0b1c2d3e"
HOUSING = "2d8f3a4c-5e6b-4c7d-8e8f-9a0b1c2d3e4f"


def social_map(buddies_name="Maatjes voor nieuwkomers", housing=None):
    """A municipality's social map, each record valid against the official schemas."""
    services = [
        {"id": BUDDIES, "organization_id": ORGANIZATION, "name": buddies_name, "status": "active",
         "description": "Een maatje voor een jaar.", "eligibility_description": "Nieuwkomers in de wijk.", "minimum_age": 18,
         "service_areas": [{"id": "3e9a4b5d-6f7c-4d8e-9f9a-0b1c2d3e4f5a", "name": "Den Haag"}],
         "languages": [{"id": "4f0b5c6e-7a8d-4e9f-8a0b-1c2d3e4f5a6b", "code": "nld"}]},
        housing or {"id": HOUSING, "organization_id": ORGANIZATION, "name": "Woonbegeleiding", "status": "active",
                    "description": "Begeleid wonen.", "url": "https://wijkteam.example.nl/wonen"},
    ]
    return {"organizations": [{"id": ORGANIZATION, "name": "Sociaal Wijkteam Centrum", "description": "Het wijkteam.",
                               "website": "https://wijkteam.example.nl"}],
            "services": services}


def test_the_fixture_is_valid_hsds_and_the_broken_record_is_not():
    file = social_map()
    valid("organization", file["organizations"][0])
    for service in file["services"]:
        valid("service", service)
    broken = dict(file["services"][1], minimum_age="achttien")
    assert list(SCHEMAS["service"].iter_errors(broken)), "the official schema refuses the broken record too"


def test_a_hub_admin_imports_through_the_api(world):
    database, server = world
    hub_admin = API(server, database.token("vluchtelingenwerk", "hub-admin"))
    before = database.programme_count()

    status, dry = hub_admin("POST", "/directory/imports?dry_run=true", social_map())
    assert status == 200 and dry["dry_run"] is True and (dry["added"], dry["changed"], dry["unchanged"]) == (3, 0, 0)
    assert database.programme_count() == before, "a dry run stores nothing"

    broken = social_map(housing={"id": HOUSING, "organization_id": ORGANIZATION, "name": "Woonbegeleiding",
                                 "status": "active", "minimum_age": "achttien"})
    status, problem = hub_admin("POST", "/directory/imports", broken)
    assert status == 422, problem
    assert {"record": HOUSING, "field": "minimum_age"}.items() <= problem["errors"][0].items(), problem["errors"]
    assert problem["errors"][0]["reason"]
    assert database.programme_count() == before, "nothing of a refused file is stored"

    status, imported = hub_admin("POST", "/directory/imports", social_map())
    assert status == 200 and imported["added"] == 3
    assert database.programme_count() == before + 2
    status, again = hub_admin("POST", "/directory/imports", social_map())
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 3), "re-import changes nothing"
    status, changed = hub_admin("POST", "/directory/imports", social_map("Maatjes in de wijk"))
    assert (changed["added"], changed["changed"], changed["unchanged"]) == (0, 1, 2)
    assert [r["id"] for r in changed["records"] if r["change"] == "changed"] == [BUDDIES]

    # Listed, not open for referrals; still valid HSDS when Koppel publishes it again.
    listed = page(server, "/hsds/services?search=Maatjes%20in%20de%20wijk", "service_list")["contents"]
    assert len(listed) == 1 and listed[0]["status"] == "temporarily closed"
    valid("service", served_service(server, listed[0]["id"]))

    for role, extra in (("caseworker", ()), ("coordinator", ("--programme", "2go")), ("org-admin", ()), ("funder", ())):
        organisation = {"coordinator": "stek", "funder": "gemeente-den-haag"}.get(role, "vluchtelingenwerk")
        status, _ = API(server, database.token(organisation, role, *extra))("POST", "/directory/imports", social_map())
        assert status == 403, f"{role} got {status}"
    status, _ = API(server, "")("POST", "/directory/imports", social_map())
    assert status == 401


def test_the_command_line_imports_with_a_dry_run_first(world, tmp_path):
    database, server = world
    path = tmp_path / "sociale-kaart.json"
    file = social_map()
    file["organizations"][0]["id"] = "7c3e8f9a-0b1c-4d2e-8f3a-4b5c6d7e8f9a"
    for service, identifier in zip(file["services"], ("8d4f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b", "9e5a0b1c-2d3e-4f4a-8b5c-6d7e8f9a0b1c")):
        service["id"] = identifier
        service["organization_id"] = file["organizations"][0]["id"]
    path.write_text(json.dumps(file))
    before = database.programme_count()

    dry = database.cli("directory", "import", str(path), "--dry-run")
    assert "dry run: 3 added, 0 changed, 0 unchanged (nothing stored)" in dry.stdout
    assert database.programme_count() == before
    assert "imported: 3 added" in database.cli("directory", "import", str(path)).stdout
    assert "imported: 0 added, 0 changed, 3 unchanged" in database.cli("directory", "import", str(path)).stdout

    file["services"][1]["status"] = "closed"
    path.write_text(json.dumps(file))
    refused = database.cli("directory", "import", str(path), check=False)
    assert refused.returncode != 0 and "nothing was stored" in refused.stderr
    assert f"9e5a0b1c-2d3e-4f4a-8b5c-6d7e8f9a0b1c\tstatus\t" in refused.stdout
    assert database.programme_count() == before + 2
