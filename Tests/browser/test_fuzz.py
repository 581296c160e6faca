"""Schemathesis fuzzes every API operation from the contract as each kind of caller (none, caseworker, org-admin,
coordinator, funder, hub-admin) against a demo database of its own, with every check on: no request, however odd,
may get a 500; every answer must match the contract; what the contract allows must be accepted and what it does
not must be refused (the answers it may give are named in schemathesis.toml); a path's other methods are 405 with
`Allow`; and in the stateful phase, following the contract's links, what was made is found, what was deleted is
gone, and a request without credentials is refused. Strings are generated without NUL: the contract says every
request holding one is 400 (JSON Schema cannot say it of object keys), and HostileInputTests try it everywhere.
Bounded: a fixed number of examples per operation and a time budget per role. One worker: hypothesis describes its
strategies with Python's ast module, which is not safe across threads in Python 3.11 (it failed now and then with
"AST constructor recursion depth mismatch")."""
import os
import subprocess
import sys

import pytest

from conftest import KoppelServer

BIN = os.environ["KOPPEL_TEST_BIN"]
FUZZ_ENV = dict(os.environ, KOPPEL_OWNER_DATABASE_URL=os.environ.get("KOPPEL_FUZZ_OWNER_URL", ""),
                KOPPEL_VAULT_DATABASE_URL=os.environ.get("KOPPEL_FUZZ_VAULT_URL", ""))
ROLES = {
    "anonymous": None,
    "caseworker": "caseworker@vluchtelingenwerk.example",
    "org-admin": "admin@vluchtelingenwerk.example",
    "coordinator": "coordinator@stek.example",
    "funder": "funder@denhaag.example",
    "hub-admin": "hub@koppel.example",
}
CONFIG = os.path.join(os.path.dirname(__file__), "schemathesis.toml")


def cli(*arguments):
    return subprocess.run([BIN, *arguments], env=FUZZ_ENV, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def fuzz_server():
    if not os.environ.get("KOPPEL_FUZZ_DATABASE_URL"):
        pytest.skip("scripts/test prepares the fuzzer's database")
    cli("user", "create", "--org", "humanitas", "--email", ROLES["hub-admin"], "--name", "Hub Beheer", "--role", "hub-admin")
    server = KoppelServer(os.environ["KOPPEL_FUZZ_DATABASE_URL"], extra_env={
        "KOPPEL_VAULT_DATABASE_URL": os.environ["KOPPEL_FUZZ_VAULT_URL"], "KOPPEL_HTTP_RATE_LIMIT": "0",
        # The fuzzer subscribes whatever URLs it makes up: the server must refuse to send inside the machine.
        "KOPPEL_WEBHOOKS_ALLOW_HTTP": "false", "KOPPEL_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "false"})
    yield server
    server.stop()


@pytest.mark.parametrize("role", list(ROLES))
def test_no_request_gets_a_server_error_or_an_answer_off_contract(fuzz_server, role, tmp_path):
    headers = []
    if ROLES[role]:
        token = cli("token", "create", "--user", ROLES[role], "--name", f"fuzz-{role}", "--expires-in", "1").splitlines()[-1]
        headers = ["-H", f"Authorization: Bearer {token}"]
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    result = subprocess.run(
        [schemathesis, "--config-file", CONFIG, "run", fuzz_server.url + "/openapi.yaml", "--url", fuzz_server.url + "/api/v1",
         *headers, "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", "15",
         "--max-time", "45", "--seed", "20261206", "--workers", "1", "--request-timeout", "30", "--no-color",
         "--suppress-health-check", "all", "--generation-allow-x00", "false"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    with open(os.path.join(os.environ.get("KOPPEL_TEST_LOG_DIR", str(tmp_path)), f"schemathesis-{role}.txt"), "w") as summary:
        summary.write(result.stdout)
    assert result.returncode == 0, f"as {role}:\n{result.stdout[:8000]}"
    assert "No issues found" in result.stdout or "passed" in result.stdout, result.stdout[-2000:]
