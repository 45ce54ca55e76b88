"""Hostile input across the API: each is refused with a 4xx in the envelope (never a 5xx, never
a trace) and changes nothing. Single-endpoint cases live beside their endpoint's tests
(oversized and invalid-UTF-8 reports in test_report, decompression bombs in test_attachments,
forged X-Forwarded-For in test_limits); docs/RELIABILITY.md lists them all."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from server.auth.models import User
from server.cases.attachments import Attachment, read
from server.cases.models import Case
from tests.cases import case_body

OPERATORS = [{"$gt": ""}, {"$ne": None}, {"$where": "sleep(5000) || true"}, {"$regex": ".*"},
             {"$expr": {"$eq": [1, 1]}}]


def assert_refused(response, *statuses):
    assert response.status_code in (statuses or (400, 401, 403, 404, 409, 413, 415, 422)), response.data[:300]
    body = response.get_json()
    assert body and body["code"] == response.status_code and body["message"]
    assert "Traceback" not in response.get_data(as_text=True)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# -- MongoDB operators smuggled into fields ---------------------------------------------------

@pytest.mark.parametrize("operator", OPERATORS, ids=lambda o: next(iter(o)))
@pytest.mark.parametrize("field", ["category", "description", "address", "priority"])
def test_an_operator_in_a_report_field_is_refused_and_files_nothing(as_user, field, operator):
    assert_refused(as_user("gridworker").post("/api/v1/cases", json=case_body(**{field: operator})), 422)
    assert Case.objects.count() == 0


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda o: next(iter(o)))
def test_an_operator_as_coordinates_is_refused(as_user, operator):
    body = case_body(location={"lat": operator, "lng": 121.525})
    assert_refused(as_user("gridworker").post("/api/v1/cases", json=body), 422)


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda o: next(iter(o)))
def test_an_operator_as_username_or_password_signs_nobody_in(client, demo, operator):
    for body in ({"grant_type": "password", "username": operator, "password": "demo-password"},
                 {"grant_type": "password", "username": "admin", "password": operator}):
        assert_refused(client.post("/api/v1/auth/token", json=body), 400, 401, 422)


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda o: next(iter(o)))
@pytest.mark.parametrize("field", ["department", "primary", "reason", "action"])
def test_an_operator_in_a_transition_is_refused_and_changes_nothing(report, transition, field, operator):
    case = report("gridworker")
    body = {"action": "dispatch", "department": "371083-cgj", field: operator}
    assert_refused(transition(case["id"], "dispatcher", body), 422)
    assert Case.objects.get(id=case["id"]).version == 1


def test_operator_keys_at_the_top_of_a_body_are_unknown_fields(as_user):
    resident = User.objects.get(username="resident")
    body = {"$set": {"role": "admin"}, "name": "x"}
    assert_refused(as_user("admin").patch(f"/api/v1/users/{resident.id}", json=body), 422)
    assert User.objects.get(id=resident.id).role == "resident"


@pytest.mark.parametrize(("query", "found"), [
    ("status[$ne]=reported", 1),  # not a parameter: ignored (interpreted, it would find nothing)
    ("reporter[$gt]=", 1),
    ("category=%7B%22%24gt%22%3A%22%22%7D", 0),  # {"$gt":""} as text: no such category
    ("q=%7B%22%24where%22%3A%22true%22%7D", 0),
])
def test_operator_syntax_in_a_query_string_is_never_interpreted(as_user, report, query, found):
    report("gridworker")
    response = as_user("dispatcher").get(f"/api/v1/cases?{query}")
    assert response.status_code == 200 and len(response.json) == found


# -- regex metacharacters and sizes in searches ------------------------------------------------

@pytest.mark.parametrize("q", [".*", "(a+)+$", "[", "\\", "^$|.", "((((((((((x))))))))))*"])
@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/hub/halls/371083/items"])
def test_regex_metacharacters_in_a_search_are_literal_text(as_user, report, path, q):
    report("gridworker")
    response = as_user("dispatcher").get(path, query_string={"q": q})
    assert response.status_code == 200 and response.json == []


LISTS = ["/api/v1/cases", "/api/v1/audit", "/api/v1/supervision/board", "/api/v1/me/notifications"]


@pytest.mark.parametrize("params", [{"page_size": 10**9}, {"page_size": -1}, {"page": 0},
                                    {"page": "1e9"}, {"page_size": "NaN"}])
@pytest.mark.parametrize("path", LISTS)
def test_absurd_paging_is_a_422(as_user, path, params):
    assert_refused(as_user("admin").get(path, query_string=params), 422)


@pytest.mark.parametrize("path", LISTS)
def test_a_page_far_past_the_end_is_empty_without_a_skip_overflow(as_user, path):
    response = as_user("admin").get(path, query_string={"page": 10**30})
    assert response.status_code == 200 and response.json == []


# -- malformed bodies on every kind of endpoint ------------------------------------------------

JSON_ENDPOINTS = [("post", "/api/v1/cases"), ("post", "/api/v1/auth/token"),
                  ("post", "/api/v1/hub/halls/371083/items"), ("put", "/api/v1/regions/371083/sla-profile")]


@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
@pytest.mark.parametrize("body", [b"\xff\xfe{\"a\": 1}", b"{\"a\": \"\xed\xa0\x80\"}",
                                  nested(100_000).encode(), b"{" * 50_000, b"[1, 2,", b"\x00" * 64,
                                  b"null", b"\"a string\""],
                         ids=["bad-utf8", "surrogate", "deep-array", "deep-object", "truncated", "nul",
                              "null", "string"])
def test_a_malformed_json_body_is_refused_on_every_endpoint(as_user, method, path, body):
    response = getattr(as_user("admin"), method)(path, data=body, content_type="application/json")
    assert_refused(response, 400, 413, 422)


@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
def test_a_body_over_the_json_limit_is_413_on_every_endpoint(as_user, method, path):
    body = json.dumps({"description": "垃" * 200_000}).encode()
    assert_refused(getattr(as_user("admin"), method)(path, data=body, content_type="application/json"), 413)


def test_a_json_body_declared_as_form_is_415(as_user):
    response = as_user("gridworker").post("/api/v1/cases", data=json.dumps(case_body()),
                                          content_type="application/x-www-form-urlencoded")
    assert_refused(response, 415)


# -- ids and paths -----------------------------------------------------------------------------

@pytest.mark.parametrize("case_id", ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "000000000000000000000000%00",
                                     "6b015b0727f3f70036448723.json", "%7B%22%24gt%22%3A%22%22%7D",
                                     "x" * 5000, "６b015b0727f3f70036448723", "null", "-1"])
def test_a_tricked_id_is_404(as_user, case_id):
    response = as_user("dispatcher").get(f"/api/v1/cases/{case_id}", follow_redirects=True)
    assert_refused(response, 404)


# -- photos that are something else -----------------------------------------------------------

def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def upload(as_user, data: bytes, name="photo.jpg"):
    return as_user("gridworker").post("/api/v1/attachments", data={"file": (io.BytesIO(data), name)},
                                      content_type="multipart/form-data")


@pytest.mark.parametrize("payload", [b"PK\x03\x04" + b"\x00" * 26 + b"evil.sh#!/bin/sh\nrm -rf /",
                                     b"<html><script>alert(document.cookie)</script></html>",
                                     b"<?php system($_GET['c']); ?>"], ids=["zip", "html", "php"])
def test_a_polyglot_photo_is_stored_re_encoded_without_its_payload(as_user, payload):
    response = upload(as_user, jpeg() + payload, name="photo.php.jpg")
    assert response.status_code == 201
    stored = read(Attachment.objects.get(id=response.json["id"]))
    assert payload not in stored and stored.startswith(b"\xff\xd8")


@pytest.mark.parametrize("data", [
    b"GIF89a<script>alert(1)</script>",
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b"%PDF-1.7\n<</JS (app.alert(1))>>",
    b"\xff\xd8\xff\xe0" + b"<script>alert(1)</script>",  # a JPEG header and nothing behind it
], ids=["gif-script", "svg", "pdf", "fake-jpeg"])
def test_a_file_posing_as_a_photo_is_422_and_nothing_is_stored(as_user, data):
    assert_refused(upload(as_user, data), 422)
    assert Attachment.objects.count() == 0
