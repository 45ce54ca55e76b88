"""Personal data (DESIGN §7): sealed at rest, masked for anyone without pii:read, findable by
an exact number."""

from __future__ import annotations

import pytest

from server import pii
from server.config import ConfigError, from_env
from server.demo import DEMO_RESIDENT_PHONE
from server.extensions.db import get_db
from tests.factories import platform_admin


@pytest.fixture
def residents_case(report):
    return report("resident", category="0102")


def reporter_as(as_user, case, username):
    return as_user(username).get(f"/api/v1/cases/{case['id']}").json["reporter"]


def test_a_dispatcher_sees_the_residents_name_and_number_in_clear(as_user, residents_case):
    assert reporter_as(as_user, residents_case, "dispatcher") == {
        "key": residents_case["reporter"]["key"], "name": "居民王女士", "phone": DEMO_RESIDENT_PHONE,
        "contact_name": None}


def test_a_handler_sees_the_residents_name_and_number_masked(as_user, residents_case, transition):
    for username, body in (("dispatcher", {"action": "accept"}),
                           ("dispatcher", {"action": "dispatch", "department": "371083-cgj"})):
        assert transition(residents_case["id"], username, body).status_code == 200
    reporter = reporter_as(as_user, residents_case, "handler")
    assert reporter["name"] == "居****" and reporter["phone"] == "138****1234"


def test_the_resident_sees_their_own_contact_in_clear(as_user, residents_case):
    assert reporter_as(as_user, residents_case, "resident")["phone"] == DEMO_RESIDENT_PHONE


def test_a_grid_workers_name_on_their_own_report_is_not_masked(as_user, report):
    case = report("gridworker")
    assert reporter_as(as_user, case, "supervisor")["name"] == "胜利街网格员"


def test_a_callback_number_given_with_the_report_replaces_the_registered_one(as_user, report):
    case = report("resident", contact_phone="13700001111")
    assert reporter_as(as_user, case, "dispatcher")["phone"] == "13700001111"


def test_no_phone_number_is_stored_in_clear(residents_case):
    db = get_db()
    assert DEMO_RESIDENT_PHONE not in str(db.users.find_one({"username": "resident"}))
    assert DEMO_RESIDENT_PHONE not in str(db.cases.find_one({}))


def test_a_dispatcher_finds_a_residents_cases_by_exact_number(as_user, residents_case, report):
    report("gridworker")
    found = as_user("dispatcher").get("/api/v1/cases", query_string={"reporter_phone": DEMO_RESIDENT_PHONE})
    assert [c["id"] for c in found.json] == [residents_case["id"]]


def test_another_number_finds_nothing(as_user, residents_case):
    found = as_user("dispatcher").get("/api/v1/cases", query_string={"reporter_phone": "13806311235"})
    assert found.status_code == 200 and found.json == []


def test_looking_up_by_number_needs_pii_read(as_user, residents_case):
    response = as_user("supervisor").get("/api/v1/cases",
                                         query_string={"reporter_phone": DEMO_RESIDENT_PHONE})
    assert response.status_code == 403 and response.json["errors"]["reason"] == "pii_forbidden"


def test_a_platform_admin_finds_a_resident_by_exact_number(as_user):
    operator = platform_admin()
    found = as_user(operator.username).get("/api/v1/users", query_string={"phone": DEMO_RESIDENT_PHONE})
    assert [u["username"] for u in found.json] == ["resident"]


@pytest.mark.parametrize(("mask", "value", "masked"), [
    (pii.mask_phone, "13812345678", "138****5678"),
    (pii.mask_id_number, "371083199001011234", "3710**********1234"),
    (pii.mask_name, "王芳", "王*"),
    (pii.mask_name, "欧阳娜娜", "欧***"),
    (pii.mask_phone, None, None),
])
def test_masks_follow_the_design(mask, value, masked):
    assert mask(value) == masked


def test_sealing_the_same_number_twice_gives_different_ciphertexts_and_one_digest(app):
    (one, digest_one), (two, digest_two) = pii.seal("13812345678"), pii.seal("138 1234 5678")
    assert one != two and digest_one == digest_two and pii.reveal(two) == "13812345678"


def test_a_pii_key_that_is_not_32_bytes_of_base64_stops_start_up():
    with pytest.raises(ConfigError, match="GRIDHUB_PII_KEY"):
        from_env({"GRIDHUB_PII_KEY": "c2hvcnQ="})


def test_a_configured_pii_key_is_accepted_in_either_base64_alphabet():
    assert len(from_env({"GRIDHUB_PII_KEY": "-" * 43})["PII_KEY"]) == 32
