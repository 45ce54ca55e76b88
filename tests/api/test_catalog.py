"""The category catalogue and reports validated against a category's attributes."""

import pytest

from server.cases.models import Case
from tests.cases import case_body

NOISE = {"category": "9001"}


def test_the_catalogue_is_public(anonymous, demo):
    body = anonymous.get("/api/v1/categories?level=1").json
    assert [c["code"] for c in body] == ["01", "02", "03", "04", "05", "90"]


def test_a_category_shows_its_attributes_in_open311_vocabulary(anonymous, demo):
    body = anonymous.get("/api/v1/categories/9001").json
    assert body["attributes"][0]["datatype"] == "singlevaluelist"
    assert {v["key"] for v in body["attributes"][0]["values"]} == {"day", "night"}
    assert (body["duplicate_radius_m"], body["duplicate_window_h"]) == (50, 72)


def test_an_unknown_category_is_404(anonymous, demo):
    assert anonymous.get("/api/v1/categories/7777").status_code == 404


def test_a_report_with_valid_answers_stores_them(report):
    case = report("resident", **NOISE, attributes={"period": "night",
                                                   "sources": ["business", "construction"]})
    assert case["attributes"] == {"period": "night", "sources": ["business", "construction"]}


@pytest.mark.parametrize(("answers", "attribute"), [
    ({}, "period"),
    ({"period": "evening"}, "period"),
    ({"period": "night", "sources": ["aliens"]}, "sources"),
    ({"period": "night", "sources": "business"}, "sources"),
    ({"period": "night", "colour": "red"}, "colour"),
])
def test_a_missing_or_invalid_answer_is_422_naming_the_attribute(as_user, answers, attribute):
    response = as_user("resident").post("/api/v1/cases",
                                        json=case_body(**NOISE, attributes=answers))
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "invalid_attributes"
    assert attribute in response.json["errors"]["attributes"]
    assert Case.objects.count() == 0


@pytest.mark.parametrize(("value", "ok"), [(2.5, True), (3, True), ("3", False), (True, False)])
def test_a_number_attribute_takes_numbers_only(as_user, value, ok):
    response = as_user("resident").post("/api/v1/cases", json=case_body(
        category="0401", attributes={"area_m2": value, "traffic": "none"}))
    assert (response.status_code == 201) is ok


def test_the_category_default_priority_applies_when_none_is_given(report):
    case = report("resident", category="0401", attributes={"area_m2": 1, "traffic": "none"})
    assert case["priority"] == "urgent"


def test_an_admin_adds_a_subcategory_with_attributes(as_user, anonymous):
    body = {"code": "0504", "name": "占道晾晒", "parent": "05", "domain": "城管",
            "default_department": "371083-cgj", "attributes": [
                {"code": "when", "datatype": "datetime", "required": True, "description": "发现时间"}]}
    response = as_user("platform").post("/api/v1/categories", json=body)
    assert response.status_code == 201
    assert response.json["level"] == 2
    assert anonymous.get("/api/v1/categories/0504").json["attributes"][0]["code"] == "when"


@pytest.mark.parametrize(("body", "reason"), [
    ({"code": "0101", "name": "重复", "parent": "01"}, "duplicate"),
    ({"code": "0601", "name": "无上级", "parent": "06"}, "unknown_parent"),
    ({"code": "0505", "name": "x", "parent": "05", "default_department": "nope-x"},
     "unknown_department"),
    ({"code": "0505", "name": "x", "parent": "05", "attributes": [
        {"code": "a", "datatype": "singlevaluelist", "description": "无取值"}]},
     "validation_error"),
    ({"code": "0505", "name": "x", "parent": "05", "attributes": [
        {"code": "a", "datatype": "string", "description": "a"},
        {"code": "a", "datatype": "number", "description": "b"}]}, "validation_error"),
])
def test_a_bad_category_is_refused(as_user, body, reason):
    response = as_user("platform").post("/api/v1/categories", json=body)
    assert response.json["errors"]["reason"] == reason


def test_only_an_admin_changes_the_catalogue(as_user):
    response = as_user("dispatcher").patch("/api/v1/categories/0101", json={"name": "违建"})
    assert response.status_code == 403


def test_a_retired_category_can_no_longer_be_reported(as_user):
    as_user("platform").patch("/api/v1/categories/0102", json={"active": False})
    response = as_user("gridworker").post("/api/v1/cases", json=case_body())
    assert response.json["errors"]["reason"] == "unknown_category"
