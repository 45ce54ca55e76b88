"""Open311 GeoReport v2 conformance, written from the specification
(http://wiki.open311.org/GeoReport_v2): every resource in JSON and XML, errors as a list of
{code, description} with 400 / 403 / 404."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from server.cases.models import Case
from tests.cases import CLOSED_LOOP, IN_GRID
from tests.clock import iso_from_now
from tests.open311.conftest import BASE

REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def xml(response) -> ET.Element:
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def error_of(response) -> tuple[int, int, str]:
    (error,) = response.json
    return response.status_code, error["code"], error["description"]


# --- discovery and services ------------------------------------------------------------------
def test_discovery_names_the_v2_endpoint_with_both_formats(client):
    (endpoint,) = client.get(f"{BASE}/discovery.json").json["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and set(endpoint["formats"]) == {
        "application/json",
        "text/xml",
    }


def test_discovery_in_xml_lists_formats_as_elements(client):
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery" and [f.text for f in root.iter("format")] == [
        "application/json",
        "text/xml",
    ]


def test_services_are_the_catalogues_leaf_categories_with_the_specs_fields(client, demo):
    services = client.get(f"{BASE}/services.json").json
    noise = next(s for s in services if s["service_code"] == "9001")
    assert set(noise) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert noise["metadata"] is True and noise["type"] == "realtime" and noise["group"] == "民生诉求"
    assert "01" not in {s["service_code"] for s in services}  # a 大类 is a group, not a service


def test_services_in_xml_are_service_elements(client, demo):
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and root.find("service/service_code").text == "0101"


def test_a_service_definition_lists_its_attributes(client, demo):
    definition = client.get(f"{BASE}/services/9001.json").json
    period = next(a for a in definition["attributes"] if a["code"] == "period")
    assert (
        period["variable"] is True and period["datatype"] == "singlevaluelist" and period["required"] is True
    )
    assert {v["key"] for v in period["values"]} == {"day", "night"}


def test_a_service_definition_in_xml_nests_values(client, demo):
    root = xml(client.get(f"{BASE}/services/9001.xml"))
    assert root.tag == "service_definition" and {v.text for v in root.iter("key")} >= {"day", "night"}


def test_an_unknown_service_is_404_in_the_specs_error_format(client, demo):
    status, code, description = error_of(client.get(f"{BASE}/services/7777.json"))
    assert status == code == 404 and "7777" in description


def test_an_error_in_xml_is_an_errors_list(client, demo):
    root = xml(client.get(f"{BASE}/services/7777.xml"))
    assert root.tag == "errors" and root.find("error/code").text == "404"


def test_an_unknown_format_is_404(client, demo):
    assert client.get(f"{BASE}/services.yaml").status_code == 404


# --- posting ---------------------------------------------------------------------------------
def test_a_posted_request_returns_its_id_and_appears_in_the_dispatchers_list(post, as_user):
    response = post()
    assert response.status_code == 201
    (created,) = response.json
    listed = as_user("dispatcher").get("/api/v1/cases").json
    case = next(c for c in listed if c["code"] == created["service_request_id"])
    assert case["source"] == "client" and case["reporter"]["name"] == "市民热线小程序"


def test_a_request_posted_for_xml_answers_in_xml(post):
    root = xml(post("xml"))
    assert root.tag == "service_requests" and root.find("request/service_request_id").text


def test_posting_without_an_api_key_is_403(post):
    assert error_of(post(api_key=None))[:2] == (403, 403)


def test_posting_with_an_unknown_api_key_is_403(post):
    assert error_of(post(api_key="o311_" + "x" * 43))[:2] == (403, 403)


def test_posting_with_the_key_of_an_app_without_cases_write_is_403(post, api_key):
    assert error_of(post(api_key=api_key(scopes=("cases:read",))))[:2] == (403, 403)


def test_a_reissued_api_key_replaces_the_old_one(client, as_user, post):
    admin = as_user("platform")
    app_id = admin.post("/api/v1/clients", json={"name": "旧应用", "scopes": ["cases:write"]}).json["id"]
    old = admin.post(f"/api/v1/clients/{app_id}/api-key").json["api_key"]
    new = admin.post(f"/api/v1/clients/{app_id}/api-key").json["api_key"]
    assert post(api_key=old).status_code == 403 and post(api_key=new).status_code == 201


def test_a_disabled_apps_key_is_refused(post, as_user):
    admin = as_user("platform")
    app_id = admin.post("/api/v1/clients", json={"name": "停用应用", "scopes": ["cases:write"]}).json["id"]
    key = admin.post(f"/api/v1/clients/{app_id}/api-key").json["api_key"]
    admin.patch(f"/api/v1/clients/{app_id}", json={"active": False})
    assert post(api_key=key).status_code == 403


@pytest.mark.parametrize(
    "form",
    [
        {"lat": None, "long": None},
        {"long": None},
        {"lat": "91"},
        {"lat": "nan"},
        {"long": "east"},
        {"service_code": None},
        {"media_url": "ftp://example.com/a.jpg"},
        {"phone": "12345"},
        {"description": "x" * 4001},
        {"attribute": "night"},
    ],
)
def test_a_malformed_post_is_400_and_writes_nothing(post, form):
    status, code, _ = error_of(post(**form))
    assert (status, code) in ((400, 400), (404, 404)) and Case.objects.count() == 0


def test_a_json_body_is_refused_with_a_400(client, api_key):
    response = client.post(f"{BASE}/requests.json", json={"api_key": api_key(), "service_code": "0102"})
    assert error_of(response)[:2] == (400, 400)


def test_a_point_outside_every_grid_is_a_400_with_the_reason(post):
    status, _, description = error_of(post(lat="30.0", long="110.0"))
    assert status == 400 and "网格" in description


def test_attributes_are_posted_as_attribute_code(post, as_user):
    (created,) = post(
        service_code="9001", **{"attribute[period]": "night", "attribute[sources][]": "business"}
    ).json
    case = Case.objects.get(code=created["service_request_id"])
    assert case.attributes == {"period": "night", "sources": ["business"]}


def test_an_invalid_attribute_value_is_400_naming_it(post):
    status, _, description = error_of(post(service_code="9001", **{"attribute[period]": "evening"}))
    assert status == 400 and "period" in description


def test_an_address_alone_is_placed_in_the_region_it_names(post):
    (created,) = post(lat=None, long=None, address_string="乳山市城区街道胜利街社区幸福路8号").json
    case = Case.objects.get(code=created["service_request_id"])
    assert (
        case.region_path[:3] == ["371083", "371083001", "371083001001"] and case.location_source == "address"
    )


def test_an_address_naming_no_region_of_ours_is_400(post):
    status, _, description = error_of(post(lat=None, long=None, address_string="北京市朝阳区建国路1号"))
    assert status == 400 and "lat" in description


def test_a_submitters_phone_is_stored_sealed_and_shown_masked_to_a_handler(post, as_user):
    (created,) = post(phone="139-1234-5678", first_name="建国", last_name="李").json
    case = Case.objects.get(code=created["service_request_id"])
    seen = as_user("supervisor").get(f"/api/v1/cases/{case.id}").json["reporter"]
    assert seen["phone"] == "139****5678" and seen["contact_name"] == "李***"
    assert as_user("dispatcher").get(f"/api/v1/cases/{case.id}").json["reporter"]["phone"] == "13912345678"


# --- reading ---------------------------------------------------------------------------------
@pytest.fixture
def posted(post):
    return post(media_url="https://cdn.example.com/p/1.jpg").json[0]["service_request_id"]


def test_a_request_reads_back_with_every_field_of_the_spec(reader, posted):
    (request,) = reader.get(f"{BASE}/requests/{posted}.json").json
    assert set(request) == REQUEST_FIELDS
    assert request["status"] == "open" and request["service_code"] == "0102"
    assert request["media_url"] == "https://cdn.example.com/p/1.jpg"
    assert request["requested_datetime"].endswith("+08:00") and request["lat"] == IN_GRID["lat"]


def test_a_dispatched_request_has_its_agency_and_expected_datetime(reader, posted, transition):
    case = Case.objects.get(code=posted)
    for username, body in CLOSED_LOOP[:2]:
        assert transition(str(case.id), username, body).status_code == 200
    (request,) = reader.get(f"{BASE}/requests/{posted}.json").json
    assert request["agency_responsible"] == "乳山市城市管理局"
    deadline = Case.objects.get(code=posted).deadlines["handle"]["deadline"]
    assert datetime.fromisoformat(request["expected_datetime"]) == deadline.replace(tzinfo=UTC)


def test_a_request_closed_through_the_workflow_reads_closed_in_json_and_xml(reader, posted, transition):
    case = Case.objects.get(code=posted)
    for username, body in CLOSED_LOOP:
        assert transition(str(case.id), username, body).status_code == 200
    (request,) = reader.get(f"{BASE}/requests/{posted}.json").json
    root = xml(reader.get(f"{BASE}/requests/{posted}.xml"))
    assert request["status"] == "closed" and root.find("request/status").text == "closed"
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == posted


def test_status_notes_are_the_last_note_of_the_history(reader, posted, transition):
    case = Case.objects.get(code=posted)
    transition(str(case.id), "dispatcher", {"action": "reject", "reason": "不属于本平台受理范围"})
    (request,) = reader.get(f"{BASE}/requests/{posted}.json").json
    assert request["status_notes"] == "不属于本平台受理范围" and request["status"] == "closed"


def test_an_unknown_request_is_404(reader, demo):
    assert error_of(reader.get(f"{BASE}/requests/371083-20260101-999999.json"))[:2] == (404, 404)


@pytest.mark.parametrize("request_id", ["..%2F..%2Fetc%2Fpasswd", "%24where", "1' OR '1'='1", "x" * 300])
def test_path_tricks_in_a_request_id_are_404(reader, demo, request_id):
    assert reader.get(f"{BASE}/requests/{request_id}.json").status_code == 404


def test_a_token_gives_the_request_id(reader, post):
    (created,) = post().json
    assert reader.get(f"{BASE}/tokens/{created['token']}.json").json == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]


def test_an_unknown_token_is_404(reader, demo):
    assert reader.get(f"{BASE}/tokens/{'0' * 24}.json").status_code == 404


# --- searching -------------------------------------------------------------------------------
def test_several_ids_comma_separated_override_the_other_filters(reader, post):
    first, second = (post().json[0]["service_request_id"] for _ in range(2))
    found = reader.get(
        f"{BASE}/requests.json", query_string={"service_request_id": f"{first},{second}", "status": "closed"}
    ).json
    assert [r["service_request_id"] for r in found] == [first, second]


def test_requests_filter_by_service_code_and_status(reader, post):
    post()
    noise = post(service_code="9001", **{"attribute[period]": "day"}).json[0]["service_request_id"]
    found = reader.get(f"{BASE}/requests.json", query_string={"service_code": "9001", "status": "open"}).json
    assert [r["service_request_id"] for r in found] == [noise]
    assert reader.get(f"{BASE}/requests.json", query_string={"status": "closed"}).json == []


def test_a_date_range_over_90_days_is_400(reader, demo):
    response = reader.get(
        f"{BASE}/requests.json",
        query_string={"start_date": iso_from_now(days=-151), "end_date": iso_from_now()},
    )
    assert error_of(response)[:2] == (400, 400)


def test_a_date_range_excludes_requests_outside_it(reader, post):
    post()
    past = datetime.now(UTC) - timedelta(days=100)
    found = reader.get(
        f"{BASE}/requests.json",
        query_string={"start_date": past.isoformat(), "end_date": (past + timedelta(days=10)).isoformat()},
    ).json
    assert found == []


@pytest.mark.parametrize(
    "args",
    [{"start_date": "yesterday"}, {"status": "pending"}, {"page": "0"}, {"page_size": "-1"}, {"page": "two"},
     {"page": "99999999999999999999"}, {"page": "١"}, {"end_date": "0001-01-01T00:00:00+00:00"},
     {"start_date": "9999-12-31T00:00:00+00:00"}],
)
def test_malformed_search_arguments_are_400(reader, demo, args):
    assert error_of(reader.get(f"{BASE}/requests.json", query_string=args))[:2] == (400, 400)


def test_pages_split_the_results_newest_first(reader, post):
    ids = [post().json[0]["service_request_id"] for _ in range(3)]
    pages = [
        [
            r["service_request_id"]
            for r in reader.get(f"{BASE}/requests.json", query_string={"page": page, "page_size": 2}).json
        ]
        for page in (1, 2)
    ]
    assert pages == [ids[::-1][:2], ids[::-1][2:]]
