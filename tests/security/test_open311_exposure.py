"""Finding 1 of the security review: Open311 reads are a public-safe view, or a sister app's
read scope — never every county's cases with residents' texts and staff notes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from server.cases.models import Case
from server.catalog.models import Category
from tests.cases import IN_GRID
from tests.clock import from_now

BASE = "/open311/v2"
INTERNAL = "内部督办：该居民系上访重点人员"


@pytest.fixture
def open_county(app, demo, monkeypatch):
    """The demo county opens anonymous reads of its public categories; 0102 is public."""
    monkeypatch.setitem(app.config, "OPEN311_PUBLIC_REGIONS", ["371083"])
    Category.objects(code="0102").update(set__public=True)


@pytest.fixture
def supervised(report, transition):
    """A resident's 0102 report, accepted and supervised with internal notes."""
    case = report("resident", description="我家楼下（王女士，13800001234）垃圾没人管")
    assert transition(case["id"], "dispatcher", {"action": "accept", "note": INTERNAL}).status_code == 200
    assert transition(case["id"], "supervisor", {"action": "supervise", "note": INTERNAL}).status_code == 200
    return case


def sister_key(as_user, scopes):
    admin = as_user("platform")
    app_id = admin.post("/api/v1/clients", json={"name": "第三方", "scopes": list(scopes)}).json["id"]
    return admin.post(f"/api/v1/clients/{app_id}/api-key").json["api_key"]


def test_anonymous_reads_are_refused_where_no_county_opened_them(anonymous, supervised):
    response = anonymous.get(f"{BASE}/requests.json")
    assert response.status_code == 403 and "api_key" in response.json[0]["description"]


def test_anonymous_lookups_by_id_are_refused_where_no_county_opened_them(anonymous, supervised):
    assert anonymous.get(f"{BASE}/requests/{supervised['code']}.json").status_code == 403


def test_the_public_view_has_no_description_address_photo_or_exact_point(
        anonymous, open_county, supervised):
    (request,) = anonymous.get(f"{BASE}/requests.json").json
    assert request["description"] is None and request["media_url"] is None
    assert request["address"] == "胜利街社区"
    assert request["lat"] == round(IN_GRID["lat"], 3) and request["long"] == round(IN_GRID["lng"], 3)
    assert "13800001234" not in str(request) and "王女士" not in str(request)


def test_no_staff_note_reaches_status_notes(anonymous, open_county, supervised):
    (request,) = anonymous.get(f"{BASE}/requests.json").json
    assert INTERNAL not in str(request) and request["status_notes"] is None


def test_a_category_not_marked_public_is_not_listed_anonymously(anonymous, open_county, report):
    report("resident", category="0101")
    assert anonymous.get(f"{BASE}/requests.json").json == []


def test_a_county_that_did_not_open_reads_is_not_listed_anonymously(
        app, anonymous, supervised, monkeypatch):
    monkeypatch.setitem(app.config, "OPEN311_PUBLIC_REGIONS", ["371002"])
    Category.objects(code="0102").update(set__public=True)
    assert anonymous.get(f"{BASE}/requests.json").json == []


def test_an_anonymous_lookup_of_a_case_older_than_90_days_is_404(anonymous, open_county, supervised):
    Case.objects(id=supervised["id"]).update(set__created_at=from_now(days=-91))
    response = anonymous.get(f"{BASE}/requests/{supervised['code']}.json")
    assert response.status_code == 404


def test_an_anonymous_token_lookup_is_403(anonymous, open_county, supervised):
    assert anonymous.get(f"{BASE}/tokens/{supervised['id']}.json").status_code == 403


def test_a_sister_app_cannot_look_up_another_submitters_token(as_user, anonymous, supervised):
    key = sister_key(as_user, ("cases:read",))
    response = anonymous.get(f"{BASE}/tokens/{supervised['id']}.json", query_string={"api_key": key})
    assert response.status_code == 404


def test_a_sister_app_without_cases_read_cannot_read_requests(as_user, anonymous, supervised):
    key = sister_key(as_user, ("cases:write",))
    response = anonymous.get(f"{BASE}/requests.json", query_string={"api_key": key})
    assert response.status_code == 403


def test_a_sister_app_reads_only_the_requests_its_read_scope_shows(as_user, anonymous, supervised):
    key = sister_key(as_user, ("cases:read", "cases:write"))
    response = anonymous.get(f"{BASE}/requests.json", query_string={"api_key": key})
    assert response.status_code == 200 and response.json == []
    by_id = anonymous.get(f"{BASE}/requests/{supervised['code']}.json", query_string={"api_key": key})
    assert by_id.status_code == 404


def test_discovery_names_the_configured_public_url_whatever_the_host_header(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://grid.example.gov.cn")
    answer = client.get(f"{BASE}/discovery.json", headers={"Host": "attacker.example"}).json
    assert answer["endpoints"][0]["url"] == "https://grid.example.gov.cn/open311/v2"


def test_a_control_character_stored_in_a_description_does_not_break_the_xml_feed(
        as_user, anonymous, report):
    key = sister_key(as_user, ("cases:read", "cases:write"))
    posted = anonymous.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "0102", "lat": str(IN_GRID["lat"]),
        "long": str(IN_GRID["lng"]), "description": "垃圾堆积"}).json[0]
    Case.objects(code=posted["service_request_id"]).update(set__description="垃圾\x0b堆积")
    response = anonymous.get(f"{BASE}/requests.xml", query_string={"api_key": key})
    root = ET.fromstring(response.data)
    assert root.find("request/description").text == "垃圾堆积"


def test_the_90_day_window_is_counted_from_now(anonymous, open_county, supervised):
    Case.objects(id=supervised["id"]).update(set__created_at=from_now(days=-89) + timedelta(hours=1))
    assert len(anonymous.get(f"{BASE}/requests.json").json) == 1
