"""The served API contract is a valid OpenAPI 3.1 document, and what the API answers matches it."""
import json
import urllib.request

import jsonschema
import yaml
from openapi_spec_validator import validate


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def contract(koppel):
    status, _, body = fetch(koppel.url + "/openapi.yaml")
    assert status == 200
    return yaml.safe_load(body)


def schema_validator(document, name):
    # Component schemas refer to each other by JSON pointer into the whole document.
    schema = {"$ref": f"#/components/schemas/{name}", **{k: v for k, v in document.items() if k == "components"}}
    return jsonschema.Draft202012Validator(schema)


def test_the_contract_is_valid_openapi_3_1(koppel):
    document = contract(koppel)
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_responses_match_the_contract(koppel):
    document = contract(koppel)
    status, headers, body = fetch(koppel.url + "/api/v1/programmes", {"Accept-Language": "en"})
    assert status == 200
    listing = json.loads(body)
    schema_validator(document, "ProgrammeList").validate(listing)
    assert listing["total_items"] == len(listing["contents"]) == 5

    status, _, body = fetch(koppel.url + "/api/v1/programmes/" + listing["contents"][0]["id"])
    assert status == 200
    schema_validator(document, "Programme").validate(json.loads(body))

    for path in ("/api/v1/programmes/00000000-0000-0000-0000-000000000000", "/api/v1/programmes/nope", "/api/v1/none"):
        status, headers, body = fetch(koppel.url + path)
        assert status in (400, 404)
        assert headers["Content-Type"] == "application/problem+json"
        schema_validator(document, "Problem").validate(json.loads(body))
