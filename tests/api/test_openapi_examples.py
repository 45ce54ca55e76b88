"""The OpenAPI document's examples (issue 20): every operation has one, on the demo's codes;
every recorded answer fits its schema; the non-destructive ones, replayed against the demo
county with its cases, answer as documented. Recorded by scripts/openapi_examples.py."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft4Validator
from openapi_spec_validator import validate

from server.demo_cases import seed_demo_cases
from server.examples import EXAMPLES, recorded
from tests.conftest import token_for

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def document(app):
    return app.test_client().get("/api/v1/openapi.json").json


def json_schema(value: Any) -> Any:
    """OpenAPI 3.0's `nullable` as JSON Schema says it."""
    if isinstance(value, dict):
        converted = {k: json_schema(v) for k, v in value.items() if k != "nullable"}
        return {"anyOf": [converted, {"type": "null"}]} if value.get("nullable") else converted
    if isinstance(value, list):
        return [json_schema(v) for v in value]
    return value


def validator(document, schema) -> Draft4Validator:
    root = {"components": json_schema(document["components"]), **json_schema(schema)}
    return Draft4Validator(root)


def success_schema(document, method: str, path: str, status: int) -> dict | None:
    response = document["paths"][path][method.lower()]["responses"].get(str(status), {})
    return response.get("content", {}).get("application/json", {}).get("schema")


def test_the_document_with_its_examples_is_valid_openapi(document):
    validate(document)


def test_every_operation_has_an_example_and_a_recorded_answer(document):
    operations = {(m.upper(), p) for p, item in document["paths"].items() for m in item if m in METHODS
                  and not p.startswith("/open311")}
    assert set(EXAMPLES) == operations
    assert set(recorded()) == {f"{m} {p}" for m, p in operations}


def test_every_json_request_body_shows_an_example(document):
    missing = [(m, p) for p, item in document["paths"].items() for m, op in item.items()
               if m in METHODS for media, body in op.get("requestBody", {}).get("content", {}).items()
               if media != "multipart/form-data" and "example" not in body]
    assert missing == []


def test_every_request_example_fits_its_schema(document):
    for (method, path), example in EXAMPLES.items():
        content = document["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
        schema = (content.get("application/json") or {}).get("schema")
        body = recorded()[f"{method} {path}"].get("request", example.body)  # ids as resolved
        if schema and body is not None:
            errors = [e.message for e in validator(document, schema).iter_errors(body)]
            assert errors == [], (method, path, errors)


def test_every_recorded_answer_is_a_success_that_fits_its_schema(document):
    for key, answer in recorded().items():
        method, path = key.split(" ", 1)
        assert 200 <= answer["status"] < 300, key
        schema = success_schema(document, method, path, answer["status"])
        if schema and "body" in answer:
            errors = [e.message for e in validator(document, schema).iter_errors(answer["body"])]
            assert errors == [], (key, errors[:3])


def test_the_reading_examples_answer_as_documented_on_the_demo(app, demo, document):
    seed_demo_cases()
    client = app.test_client()
    for (method, path), example in EXAMPLES.items():
        if not example.replay:
            continue
        headers = {"Authorization": f"Bearer {token_for(example.user)}"} if example.user else {}
        body = {"data": example.body} if example.form else {"json": example.body} \
            if example.body is not None else {}
        response = client.open(path.format(**example.path), method=method,
                               query_string=example.query, headers=headers, **body)
        assert response.status_code == recorded()[f"{method} {path}"]["status"], (path, response.json)
        schema = success_schema(document, method, path, response.status_code)
        if schema:
            errors = [e.message for e in validator(document, schema).iter_errors(response.json)]
            assert errors == [], (method, path, errors[:3])


def test_the_error_reasons_of_each_operation_are_current():
    from scripts.operation_errors import OUTPUT, rendered

    assert OUTPUT.read_text(encoding="utf-8") == rendered(), "run scripts/operation_errors.py --write"


def test_a_transition_lists_the_reasons_it_can_be_refused_with(document):
    reasons = document["paths"]["/api/v1/cases/{case_id}/transitions"]["post"]["x-error-reasons"]
    assert "stale_version" in reasons["412"] and "version_conflict" in reasons["409"]
    assert {"invalid_transition", "window_closed"} <= set(reasons["409"])
    assert {"validation_error", "unknown_action", "unknown_department"} <= set(reasons["422"])


def test_a_report_lists_its_refusals_and_the_description_says_them(document):
    operation = document["paths"]["/api/v1/cases"]["post"]
    assert {"outside_grids", "idempotency_mismatch"} <= set(operation["x-error-reasons"]["422"])
    assert operation["x-error-reasons"]["429"] == ["rate_limited"]
    assert "`outside_grids`" in operation["description"]


def test_open311_is_documented_with_its_formats_and_its_own_errors(document):
    paths = {p for p in document["paths"] if p.startswith("/open311/v2/")}
    assert {"/open311/v2/services.{format}", "/open311/v2/requests.{format}",
            "/open311/v2/requests/{service_request_id}.{format}"} <= paths
    post = document["paths"]["/open311/v2/requests.{format}"]["post"]
    assert set(post["responses"]["201"]["content"]) == {"application/json", "text/xml"}
    assert post["responses"]["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Open311Errors"}


def test_the_documented_open311_answers_fit_what_the_server_says(app, demo, document):
    client = app.test_client()
    services = client.get("/open311/v2/services.json").json
    schema = document["paths"]["/open311/v2/services.{format}"]["get"]["responses"]["200"]
    errors = list(validator(document, schema["content"]["application/json"]["schema"]).iter_errors(services))
    assert services and errors == []
