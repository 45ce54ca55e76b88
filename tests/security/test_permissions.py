"""Every operation of the OpenAPI document × every role × a sister app without scopes: each is
named in `server.auth.permissions.RULES`, and whoever the rule leaves out gets 403 before
anything else happens. A new endpoint without a rule fails here."""

from __future__ import annotations

import re

import pytest

from server.auth.models import Client
from server.auth.permissions import PUBLIC, RULES
from server.auth.principals import Principal
from server.auth.tokens import issue_access_token
from tests.conftest import ApiClient, token_for
from tests.factories import UserFactory
from workflows.case_table import ROLES

PATH_VALUES = {"day": "2026-12-02"}  # a path part that must be a date (YYYY-MM-DD)


def operations(app):
    """(endpoint, method, concrete path) of every operation the OpenAPI document lists."""
    spec = app.test_client().get("/api/v1/openapi.json").json
    adapter = app.url_map.bind("localhost")
    found = []
    for path, item in spec["paths"].items():
        if path.startswith("/open311/"):
            continue  # GeoReport's own api_key, checked by its service (tests/open311)
        concrete = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m[1])
                          or ("0" * 24 if m[1].endswith("id") else "371083"), path)
        for method in item:
            if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                endpoint, _ = adapter.match(concrete, method=method.upper())
                found.append((endpoint, method.upper(), concrete))
    # signing out revokes the caller's token: walk it last
    return sorted(found, key=lambda op: op[0] == "auth.Logout")


def test_every_operation_of_the_api_has_a_permission_rule(app):
    missing = [(e, m) for e, m, _ in operations(app) if (e, m) not in RULES and (e, m) not in PUBLIC]
    assert missing == []


def test_no_rule_names_an_operation_that_does_not_exist(app):
    existing = {(e, m) for e, m, _ in operations(app)}
    assert (set(RULES) | PUBLIC) - existing == set() and not set(RULES) & PUBLIC


@pytest.fixture
def callers(app, demo):
    """A user of every role, and a sister app whose token carries no scope."""
    tokens = {}
    for role in ROLES:
        user = UserFactory(role=role, org="371083", org_kind="region") if role != "resident" else \
            UserFactory(role=role)
        tokens[role] = token_for(user.username)
    sister = Client(name="无权限应用", scopes=[]).save()
    tokens["client"] = issue_access_token(subject=f"client:{sister.id}", claims={
        "roles": ["client"], "scope": "", "name": sister.name})[0]
    return {name: ApiClient(app.test_client(), token) for name, token in tokens.items()}


def _principal(name):
    if name == "client":
        return Principal(kind="client", id="x", name="", roles=frozenset({"client"}))
    return Principal(kind="user", id="x", name="", roles=frozenset({name}))


def test_whoever_a_rule_leaves_out_gets_403_and_nobody_gets_a_5xx(app, callers):
    from server.auth.permissions import decide

    wrong = []
    for endpoint, method, path in operations(app):
        if (endpoint, method) in PUBLIC:
            continue
        for name, api in callers.items():
            allowed, why = decide(_principal(name), endpoint, method)
            response = api._call(method, path)  # no body: the permission comes before parsing
            if response.status_code >= 500 or (not allowed and response.status_code != 403):
                wrong.append((name, method, path, why, response.status_code))
    assert wrong == []


def test_residents_do_not_read_the_organisations_nodes_which_name_their_staff(demo, as_user):
    resident = as_user("resident")
    for path in ("/api/v1/regions", "/api/v1/regions/371083001001001", "/api/v1/departments",
                 "/api/v1/departments/371083-cgj"):
        assert resident.get(path).status_code == 403, path
    assert resident.get("/api/v1/grids", query_string={"region": "371083001001"}).status_code == 200
