"""POST /cases: reporting, idempotency and bad input (each a 4xx envelope, nothing written)."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from server.cases.models import Case
from tests.cases import IN_GRID, case_body


def test_a_report_gets_a_code_of_region_day_and_sequence(report):
    case = report()
    assert re.fullmatch(r"371083-\d{8}-000001", case["code"])
    assert report()["code"].endswith("-000002")


def test_a_report_is_located_in_its_grid_and_region_path(report):
    case = report()
    assert case["grid"] == "371083001001001"
    assert case["region_path"] == ["371083", "371083001", "371083001001", "371083001001001"]
    assert case["location"] == IN_GRID
    assert case["status"] == "reported"
    assert case["source"] == "grid_worker"


def test_a_resident_report_records_the_resident_as_source_and_reporter(report, as_user):
    case = report("resident", category="9003")
    me = as_user("resident").get("/api/v1/me").json
    assert case["source"] == "resident"
    assert case["reporter"]["key"] == f"user:{me['id']}"


@pytest.mark.parametrize("username", ["dispatcher", "handler", "supervisor", "admin"])
def test_staff_who_do_not_report_get_403(as_user, username):
    response = as_user(username).post("/api/v1/cases", json=case_body())
    assert response.status_code == 403
    assert response.json["errors"]["reason"] == "forbidden"
    assert Case.objects.count() == 0


def test_an_idempotent_replay_returns_the_same_case_with_200(as_user):
    client = as_user("gridworker")
    first = client.post("/api/v1/cases", json=case_body(), headers={"Idempotency-Key": "k-1"})
    again = client.post("/api/v1/cases", json=case_body(), headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    assert Case.objects.count() == 1


def test_the_same_key_with_a_different_body_is_422(as_user):
    client = as_user("gridworker")
    client.post("/api/v1/cases", json=case_body(), headers={"Idempotency-Key": "k-1"})
    response = client.post("/api/v1/cases", json=case_body(description="另一件事"),
                           headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "idempotency_mismatch"
    assert Case.objects.count() == 1


def test_idempotency_keys_are_per_principal(as_user):
    as_user("gridworker").post("/api/v1/cases", json=case_body(), headers={"Idempotency-Key": "k"})
    response = as_user("resident").post("/api/v1/cases", json=case_body(),
                                        headers={"Idempotency-Key": "k"})
    assert response.status_code == 201
    assert Case.objects.count() == 2


def test_an_idempotency_key_with_control_characters_is_422(as_user):
    response = as_user("gridworker").post("/api/v1/cases", json=case_body(),
                                          headers={"Idempotency-Key": "a b"})
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "invalid_idempotency_key"


def test_twenty_concurrent_reports_with_one_key_create_exactly_one_case(as_user):
    clients = [as_user("gridworker") for _ in range(20)]

    def send(client):
        response = client.post("/api/v1/cases", json=case_body(),
                               headers={"Idempotency-Key": "offline-7"})
        return response.status_code, response.json["id"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, clients))
    assert Case.objects.count() == 1
    assert {case_id for _, case_id in results} == {str(Case.objects.get().id)}
    assert sorted(status for status, _ in results) == [200] * 19 + [201]


@pytest.mark.parametrize(("body", "field"), [
    (case_body(category="9999"), "category"),
    (case_body(category="01"), "category"),  # a 大类, not a 小类
    ({k: v for k, v in case_body().items() if k != "category"}, "category"),
    (case_body(location={"lat": 91, "lng": 121.5}), "location"),
    (case_body(location={"lat": 36.9, "lng": -181}), "location"),
    (case_body(location={"lat": "north", "lng": 121.5}), "location"),
    (case_body(location={"lat": 36.9}), "location"),
    (case_body(location=[36.9, 121.5]), "location"),
    (case_body(location={"lat": 36.9, "lng": 121.5, "coord_system": "mars"}), "location"),
    (case_body(description=""), "description"),
    (case_body(description="长" * 4001), "description"),
    (case_body(priority="whenever"), "priority"),
    (case_body(attachments=["not-an-id"]), "attachments"),
    (case_body(surprise=True), "surprise"),
])
def test_a_malformed_report_is_422_naming_the_field_and_writes_nothing(as_user, body, field):
    response = as_user("gridworker").post("/api/v1/cases", json=body)
    assert response.status_code == 422
    assert response.json["code"] == 422
    text = str(response.json["errors"])
    assert field in text
    assert Case.objects.count() == 0


def test_a_point_outside_every_grid_is_422_outside_grids(as_user):
    response = as_user("gridworker").post(
        "/api/v1/cases", json=case_body(location={"lat": 39.9, "lng": 116.4}))
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "outside_grids"
    assert Case.objects.count() == 0


def test_validation_messages_are_in_chinese(as_user):
    body = case_body()
    del body["description"]
    response = as_user("gridworker").post("/api/v1/cases", json=body)
    assert response.json["message"] == "请求参数校验失败"
    assert response.json["errors"]["json"]["description"] == ["缺少必填字段"]
    assert response.json["errors"]["reason"] == "validation_error"


def test_a_body_that_is_not_json_is_400_malformed_json(as_user):
    response = as_user("gridworker").post("/api/v1/cases", data="{not json",
                                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["errors"]["reason"] == "malformed_json"


@pytest.mark.parametrize("payload", ["[1, 2]", "\"text\"", "42", "null"])
def test_a_json_body_that_is_not_an_object_is_422(as_user, payload):
    response = as_user("gridworker").post("/api/v1/cases", data=payload,
                                          headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert Case.objects.count() == 0


def test_a_body_of_the_wrong_content_type_is_415(as_user):
    response = as_user("gridworker").post("/api/v1/cases", data="category=0102",
                                          headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json["errors"]["reason"] == "unsupported_media_type"


def test_a_body_over_the_size_limit_is_413(as_user):
    response = as_user("gridworker").post(
        "/api/v1/cases", json=case_body(description="x" * 300_000))
    assert response.status_code == 413
    assert response.json["errors"]["reason"] == "payload_too_large"
    assert Case.objects.count() == 0


def test_invalid_utf8_in_a_json_body_is_a_4xx(as_user):
    response = as_user("gridworker").post("/api/v1/cases", data=b'{"description": "\xff\xfe"}',
                                          headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert Case.objects.count() == 0


def test_deeply_nested_json_is_a_4xx_not_a_crash(as_user):
    response = as_user("gridworker").post("/api/v1/cases", data="[" * 100_000 + "]" * 100_000,
                                          headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json["code"] == response.status_code


@pytest.mark.parametrize(("field", "body"), [
    ("description", case_body(description="   ")),
    ("description", case_body(description="\n\t ")),
    ("lat", case_body(location={"lat": "36.915", "lng": 121.525})),
    ("lng", case_body(location={"lat": 36.915, "lng": True})),
    ("address", case_body(address="  ")),
])
def test_text_without_content_and_numbers_sent_as_strings_are_422_and_nothing_is_filed(
        as_user, field, body):
    response = as_user("gridworker").post("/api/v1/cases", json=body)
    assert response.status_code == 422
    assert field in str(response.json["errors"]["json"])
    assert Case.objects.count() == 0


def test_a_transition_number_sent_as_a_string_is_422(case_in, transition):
    response = transition(case_in("in_progress")["id"], "supervisor",
                          {"action": "supervise", "level": "2"})
    assert response.status_code == 422 and "level" in str(response.json["errors"]["json"])


def test_a_header_the_report_does_not_read_does_not_refuse_it(as_user):
    response = as_user("gridworker").post("/api/v1/cases", json=case_body(),
                                          headers={"X-Trace": "a\x01b"})
    assert response.status_code == 201
