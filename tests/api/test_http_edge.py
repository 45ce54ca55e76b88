"""The HTTP contract: envelope on every error, OpenAPI, health endpoints."""

import pytest
from openapi_spec_validator import validate

from server.cases import reading


def test_healthz_answers_while_the_process_lives(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_reports_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["database"] is True


def test_an_unknown_route_is_404_in_the_envelope(client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.json == {"code": 404, "status": "Not Found", "message": "资源不存在",
                             "errors": {"reason": "not_found"}}


def test_a_wrong_method_is_405_in_the_envelope(client):
    response = client.delete("/api/v1/auth/token")
    assert response.status_code == 405
    assert response.json["errors"]["reason"] == "method_not_allowed"


def test_an_unexpected_error_is_a_500_envelope_without_a_trace(as_user, monkeypatch):
    def boom(**_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(reading, "get", boom)
    response = as_user("dispatcher").get("/api/v1/cases/0123456789abcdef01234567")
    assert response.status_code == 500
    assert response.json["errors"]["reason"] == "internal_error"
    assert "secret" not in response.get_data(as_text=True)


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").json


def test_the_openapi_document_is_served(spec):
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/cases/{case_id}/transitions" in spec["paths"]


def test_every_operation_has_a_summary_and_documents_its_errors(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            codes = set(operation["responses"])
            assert codes & {"200", "201", "204"}, f"{method.upper()} {path} has no success response"
            assert "default" in codes, f"{method.upper()} {path} has no error response"


def test_every_secured_operation_documents_401(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and operation.get("security"):
                assert "401" in operation["responses"], f"{method.upper()} {path}"


def test_swagger_ui_is_served_with_its_assets_from_this_server(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/static/swagger-ui-bundle.js" in page
    assert client.get("/api/docs/static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/docs/static/../../server/__init__.py").status_code == 404


def test_a_model_validation_error_becomes_a_422_envelope(app):
    from mongoengine import ValidationError

    from server.extensions.api import _handle_model_validation

    error = ValidationError("bad", errors={"phone": ValidationError("not a phone")})
    body, status = _handle_model_validation(error)
    assert status == 422
    assert body["errors"]["reason"] == "validation_error"
    assert "phone" in body["errors"]["fields"]


def test_a_unique_index_violation_becomes_a_409_envelope(app):
    from mongoengine import NotUniqueError

    from server.extensions.api import _handle_not_unique

    body, status = _handle_not_unique(NotUniqueError("E11000"))
    assert (status, body["errors"]["reason"]) == (409, "duplicate")
    assert "E11000" not in str(body)


def test_readyz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    from pymongo.errors import ServerSelectionTimeoutError

    from server.extensions import db

    class Down:
        def command(self, *_args):
            raise ServerSelectionTimeoutError("no servers")

    monkeypatch.setattr(db, "get_db", lambda: Down())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["database"] is False


def test_the_openapi_document_is_valid_openapi_3(spec):
    validate(spec)


def test_the_openapi_document_says_what_gridhub_is_and_how_to_authenticate(spec):
    description = spec["info"]["description"]
    assert "Bearer" in description and "INTEGRATION.md" in description
    assert spec["servers"] == [{"url": "/", "description": "本服务"}]
