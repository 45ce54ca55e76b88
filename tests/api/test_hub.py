"""The hub's branch hall: items for anyone, personalised when signed in, search, favourites,
recently used, usage per day, administration."""

from __future__ import annotations

import pytest

from server.hub.models import ServiceItem, UsageDay
from tests.factories import staff_of

ITEMS = "/api/v1/hub/halls/371083/items"


def codes(answer):
    return [row["item"]["code"] for row in answer.json]


def item_id(code):
    return str(ServiceItem.objects.get(code=code).id)


def test_anyone_reads_the_halls_items_in_order(anonymous, demo):
    answer = anonymous.get(ITEMS)
    assert answer.status_code == 200 and codes(answer)[:2] == ["report", "gjj-query"]
    assert answer.json[0]["item"]["kind_label"] == "反映" and answer.json[0]["favourite"] is False


def test_a_county_without_a_hall_is_404(anonymous, demo):
    assert anonymous.get("/api/v1/hub/halls/370000/items").status_code == 404


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("医保", ["shebao-pay"]),
        ("公积金", ["gjj-query"]),
        ("预约", ["bdc-booking"]),
        ("投诉", ["report"]),
        (".*", []),
        ("(", []),
    ],
)
def test_search_matches_chinese_names_and_tags_literally(anonymous, demo, q, expected):
    assert codes(anonymous.get(ITEMS, query_string={"q": q})) == expected


def test_items_filter_by_kind_and_audience(anonymous, demo):
    assert codes(anonymous.get(ITEMS, query_string={"kind": "query"})) == ["gjj-query", "bus-query"]
    assert codes(anonymous.get(ITEMS, query_string={"audience": "legal_person"})) == [
        "bdc-booking",
        "license-apply",
    ]


def test_an_offline_item_is_not_listed(anonymous, as_user):
    as_user("admin").patch(f"/api/v1/hub/items/{item_id('bus-query')}", json={"online": False})
    assert "bus-query" not in codes(anonymous.get(ITEMS))
    assert "bus-query" in codes(as_user("admin").get(ITEMS, query_string={"include_offline": True}))


def test_a_favourite_is_marked_and_listed_in_its_section(as_user):
    resident = as_user("resident")
    assert resident.put(f"/api/v1/me/favourites/{item_id('bus-query')}").status_code == 200
    assert resident.put(f"/api/v1/me/favourites/{item_id('bus-query')}").status_code == 200  # idempotent
    listed = resident.get(ITEMS).json
    assert [r["item"]["code"] for r in listed if r["favourite"]] == ["bus-query"]
    assert codes(resident.get(ITEMS, query_string={"section": "favourites"})) == ["bus-query"]


def test_a_favourite_can_be_removed(as_user):
    resident = as_user("resident")
    resident.put(f"/api/v1/me/favourites/{item_id('bus-query')}")
    assert resident.delete(f"/api/v1/me/favourites/{item_id('bus-query')}").status_code == 204
    assert codes(resident.get(ITEMS, query_string={"section": "favourites"})) == []


def test_favourites_are_per_person(as_user):
    as_user("resident").put(f"/api/v1/me/favourites/{item_id('bus-query')}")
    assert codes(as_user("gridworker").get(ITEMS, query_string={"section": "favourites"})) == []


def test_an_unknown_item_is_404(as_user):
    assert as_user("resident").put("/api/v1/me/favourites/not-an-id").status_code == 404
    assert as_user("resident").put(f"/api/v1/me/favourites/{'0' * 24}").status_code == 404


def test_using_an_item_answers_its_entry_and_counts_the_day(as_user):
    answer = as_user("resident").post(f"/api/v1/hub/items/{item_id('bus-query')}/use")
    assert answer.status_code == 200 and answer.json["entry"]["path"] == "/bus/realtime"
    assert UsageDay.objects.get(item=item_id("bus-query")).count == 1


def test_an_anonymous_use_answers_its_entry_and_is_not_counted(anonymous, demo):
    answer = anonymous.post(f"/api/v1/hub/items/{item_id('bus-query')}/use")
    assert answer.status_code == 200 and answer.json["entry"]["path"] == "/bus/realtime"
    assert UsageDay.objects(item=item_id("bus-query")).first() is None


def test_a_user_opening_an_item_again_the_same_day_counts_once(as_user):
    resident = as_user("resident")
    for _ in range(5):
        resident.post(f"/api/v1/hub/items/{item_id('bus-query')}/use")
    assert UsageDay.objects.get(item=item_id("bus-query")).count == 1


def test_recently_used_items_come_newest_first(as_user):
    resident = as_user("resident")
    for code in ("bus-query", "report"):
        resident.post(f"/api/v1/hub/items/{item_id(code)}/use")
    assert codes(resident.get(ITEMS, query_string={"section": "recent"})) == ["report", "bus-query"]
    assert resident.get(ITEMS).json[0]["last_used_at"]


def test_an_item_needing_sign_in_refuses_anonymous_use(anonymous, demo):
    answer = anonymous.post(f"/api/v1/hub/items/{item_id('report')}/use")
    assert answer.status_code == 401 and answer.json["errors"]["reason"] == "login_required"


def test_an_item_needing_a_higher_level_refuses_a_resident_below_it(client, demo, app):
    from server.auth.models import User
    from server.auth.principals import user_claims
    from server.auth.tokens import issue_access_token

    user = User.objects.get(username="resident")
    user.auth_level = 2
    token, _ = issue_access_token(subject=f"user:{user.id}", claims=user_claims(user))
    answer = client.post(
        f"/api/v1/hub/items/{item_id('license-apply')}/use", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 403 and answer.json["errors"]["reason"] == "auth_level_too_low"
    assert (
        client.post(
            f"/api/v1/hub/items/{item_id('gjj-query')}/use", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )


def test_an_offline_item_cannot_be_used(anonymous, as_user):
    as_user("admin").patch(f"/api/v1/hub/items/{item_id('bus-query')}", json={"online": False})
    assert anonymous.post(f"/api/v1/hub/items/{item_id('bus-query')}/use").status_code == 409


def test_usage_per_item_and_day_for_supervisors(as_user):
    for username in ("resident", "gridworker", "dispatcher"):
        as_user(username).post(f"/api/v1/hub/items/{item_id('bus-query')}/use")
    usage = as_user("supervisor").get("/api/v1/hub/halls/371083/usage").json
    assert usage[0]["code"] == "bus-query" and usage[0]["total"] == 3 and len(usage[0]["days"]) == 1


def test_another_countys_supervisor_does_not_read_the_halls_usage(as_user):
    outsider = staff_of("370602", "supervisor")
    response = as_user(outsider.username).get("/api/v1/hub/halls/371083/usage")
    assert response.status_code == 404


def test_usage_is_not_for_residents(as_user):
    assert as_user("resident").get("/api/v1/hub/halls/371083/usage").status_code == 403


def test_a_reversed_usage_range_is_422(as_user):
    answer = as_user("supervisor").get(
        "/api/v1/hub/halls/371083/usage", query_string={"since": "2026-11-02", "until": "2026-11-01"}
    )
    assert answer.status_code == 422


# --- administration --------------------------------------------------------------------------
NEW_ITEM = {
    "code": "water-pay",
    "name": "水费缴纳",
    "kind": "payment",
    "provider": "乳山市水务集团",
    "audiences": ["person"],
    "entry": {"type": "miniapp", "path": "/water/pay"},
    "auth_level": 1,
    "tags": ["水费"],
}


def test_an_admin_adds_an_item(as_user, anonymous):
    answer = as_user("admin").post(ITEMS, json=NEW_ITEM)
    assert answer.status_code == 201 and "water-pay" in codes(anonymous.get(ITEMS))


def test_an_item_code_is_unique_in_a_hall(as_user):
    as_user("admin").post(ITEMS, json=NEW_ITEM)
    assert as_user("admin").post(ITEMS, json=NEW_ITEM).status_code == 409


def test_only_admins_manage_items(as_user):
    assert as_user("dispatcher").post(ITEMS, json=NEW_ITEM).status_code == 403


@pytest.mark.parametrize(
    "entry",
    [
        {"type": "miniapp"},
        {"type": "builtin", "builtin": "pay"},
        {"type": "client", "url": "https://a.example/x"},
        {"type": "client", "url": "https://a.example/x", "client": "0" * 24},
    ],
)
def test_an_incomplete_entry_is_422(as_user, entry):
    assert as_user("admin").post(ITEMS, json={**NEW_ITEM, "entry": entry}).status_code == 422


def test_a_registered_sister_app_can_be_listed_as_an_item(as_user, anonymous):
    app_id = (
        as_user("platform").post("/api/v1/clients",
                                 json={"name": "智慧停车", "scopes": ["hub:read"]}).json["id"]
    )
    entry = {"type": "client", "client": app_id, "url": "https://parking.example/h5"}
    answer = as_user("admin").post(ITEMS, json={**NEW_ITEM, "code": "parking", "entry": entry})
    assert answer.status_code == 201 and answer.json["entry"]["client"] == app_id


def test_an_admin_opens_a_hall_only_for_a_county(as_user):
    assert (
        as_user("admin").post("/api/v1/hub/halls", json={"region": "371083", "name": "x"}).status_code == 409
    )
    assert (
        as_user("admin").post("/api/v1/hub/halls", json={"region": "999999", "name": "x"}).status_code == 422
    )
