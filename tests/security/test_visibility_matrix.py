"""The data-visibility matrix of the security review: every kind of caller × every surface a
case shows through (the case, its history, timeline, nearby, Open311 JSON and XML, webhook
payloads, exports, notifications). For each cell: no staff note reaches anyone outside the
back office, no personal data reaches anyone without `pii:read` (but the resident themself),
and nothing outside the caller's scope reaches them at all."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from notifications.fanout import fan_out
from server.cases.models import Case
from server.demo import DEMO_RESIDENT_PHONE
from server.inbox.models import Notification
from server.webhooks.models import WebhookSubscription
from tests.cases import IN_GRID
from tests.conftest import ApiClient, token_for
from tests.factories import UserFactory, staff_of

INTERNAL = "内部：该居民系上访重点人员，勿回访"
NAME = "居民王女士"
DESCRIPTION = "楼下垃圾三天没人清运"
SCOPES = ("cases:read", "cases:write", "cases:transition", "stats:read", "hub:read", "webhooks")


@dataclass(frozen=True)
class Caller:
    name: str
    staff: bool = False  # back office: may read staff notes
    pii: bool = False  # pii:read, or the resident themself
    sees_case: bool = False  # the case is in their scope


CALLERS = [
    Caller("anonymous"),
    Caller("resident", pii=True, sees_case=True),
    Caller("another_resident"),
    Caller("gridworker", staff=True, sees_case=True),
    Caller("dispatcher", staff=True, pii=True, sees_case=True),
    Caller("handler", staff=True, sees_case=True),
    Caller("supervisor", staff=True, sees_case=True),
    Caller("admin", staff=True, pii=True, sees_case=True),
    Caller("other_county_admin", staff=True, pii=True),
    *[Caller(f"app[{scope}]") for scope in SCOPES],
]


@pytest.fixture
def world(app, demo, report, transition, register_app, client_token):
    """A resident's case walked to closed with internal notes on the way, every event fanned
    out (inboxes, and a sister app's webhook subscription to everything), and a client per
    caller."""
    case = report("resident", description=DESCRIPTION, address="胜利街12号3单元",
                  contact_phone=DEMO_RESIDENT_PHONE)
    for username, body in (
            ("dispatcher", {"action": "accept", "note": INTERNAL}),
            ("supervisor", {"action": "supervise", "note": INTERNAL}),
            ("dispatcher", {"action": "dispatch", "department": "371083-cgj", "note": INTERNAL}),
            ("handler", {"action": "sign"}),
            ("handler", {"action": "handle", "result": "已清运", "note": INTERNAL}),
            ("gridworker", {"action": "verify_pass", "note": INTERNAL})):
        assert transition(case["id"], username, body).status_code == 200
    WebhookSubscription(name="第三方", client="0" * 24, events=["*"], url="http://127.0.0.1:9/x",
                        secret="whsec_x").save()
    for seq in range(1, Case.objects.get(id=case["id"]).version + 1):
        fan_out(case["id"], seq)
    clients = {"anonymous": ApiClient(app.test_client(), None)}
    for username in ("resident", "gridworker", "dispatcher", "handler", "supervisor", "admin"):
        clients[username] = ApiClient(app.test_client(), token_for(username))
    clients["another_resident"] = ApiClient(app.test_client(), token_for(UserFactory().username))
    staff_of("370602", "admin", username="zhifu-admin")
    clients["other_county_admin"] = ApiClient(app.test_client(), token_for("zhifu-admin"))
    for scope in SCOPES:
        token = client_token(register_app(scopes=(scope,))).json["access_token"]
        clients[f"app[{scope}]"] = ApiClient(app.test_client(), token)
    return case, clients


def surfaces(case, client) -> dict[str, str]:
    """What the caller reads of the case through each API surface (text of 2xx answers)."""
    base = f"/api/v1/cases/{case['id']}"
    answers = {
        "case": client.get(base), "history": client.get(f"{base}/history"),
        "timeline": client.get(f"{base}/timeline"),
        "nearby": client.get("/api/v1/cases/nearby", query_string={**IN_GRID, "category": "0102"}),
        "list": client.get("/api/v1/cases"),
        "export": client.get("/api/v1/stats/export", query_string={"format": "csv"}),
        "inbox": client.get("/api/v1/me/notifications"),
    }
    return {name: response.get_data(as_text=True) if response.status_code < 300 else ""
            for name, response in answers.items()}


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_what_each_caller_reads_of_a_residents_case(world, caller):
    case, clients = world
    read = surfaces(case, clients[caller.name])
    for surface, text in read.items():
        if not caller.staff:
            assert INTERNAL not in text, f"{caller.name} read a staff note through {surface}"
        if not caller.pii:
            assert DEMO_RESIDENT_PHONE not in text, f"{caller.name} read the phone through {surface}"
            assert NAME not in text, f"{caller.name} read the name through {surface}"
        if not caller.sees_case:
            assert DESCRIPTION not in text and case["id"] not in text, \
                f"{caller.name} read a case outside their scope through {surface}"
    if caller.sees_case:
        assert DESCRIPTION in read["case"], f"{caller.name} cannot read a case in their scope"


def test_the_open311_json_and_xml_feeds_carry_no_note_or_personal_data(world, app, monkeypatch):
    case, clients = world
    monkeypatch.setitem(app.config, "OPEN311_PUBLIC_REGIONS", ["371083"])
    Case._get_collection().database.categories.update_one({"_id": "0102"}, {"$set": {"public": True}})
    for fmt in ("json", "xml"):
        text = clients["anonymous"].get(f"/open311/v2/requests.{fmt}").get_data(as_text=True)
        assert case["code"] in text
        for secret in (INTERNAL, DEMO_RESIDENT_PHONE, NAME, DESCRIPTION, "胜利街12号"):
            assert secret not in text


def test_webhook_payloads_carry_no_note_or_personal_data(world):
    for delivery in Notification.objects(channel="webhook"):
        for secret in (INTERNAL, DEMO_RESIDENT_PHONE, NAME):
            assert secret not in delivery.body + delivery.title


def test_the_residents_notifications_carry_no_staff_note(world):
    case, clients = world
    inbox = clients["resident"].get("/api/v1/me/notifications").json
    assert inbox and all(INTERNAL not in item["body"] for item in inbox)
