"""Finding 16 of the security review: loopholes in the rules (an open-ended suspension,
self-set priority, inflatable usage counts, another county's hall usage, a documented webhook
event that never came). The hub's use counting and usage scope are tested in
tests/api/test_hub.py (test_an_anonymous_use…, test_a_user_opening…, test_another_countys…)."""

from __future__ import annotations

from notifications.fanout import fan_out
from server.cases.models import Case
from server.inbox.models import Notification
from server.webhooks.models import WebhookSubscription
from tests.cases import case_body


def test_a_suspension_without_until_or_duration_is_422(case_in, transition):
    case = case_in("in_progress")
    response = transition(case["id"], "supervisor", {"action": "suspend", "reason": "等待"})
    assert response.status_code == 422 and "until" in response.json["errors"]["fields"]
    assert Case.objects.get(id=case["id"]).status == "in_progress"


def test_a_resident_cannot_set_their_reports_priority(as_user):
    response = as_user("resident").post("/api/v1/cases", json=case_body(priority="urgent"))
    assert response.status_code == 422 and response.json["errors"]["reason"] == "priority_not_allowed"
    assert Case.objects.count() == 0


def test_a_sister_app_cannot_set_its_reports_priority(app, register_app, client_token):
    token = client_token(register_app(scopes=("cases:write",))).json["access_token"]
    response = app.test_client().post("/api/v1/cases", json=case_body(priority="urgent"),
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and response.json["errors"]["reason"] == "priority_not_allowed"


def test_a_grid_worker_on_the_spot_may_flag_an_emergency(as_user):
    response = as_user("gridworker").post("/api/v1/cases", json=case_body(priority="urgent"))
    assert response.status_code == 201 and response.json["priority"] == "urgent"


def test_a_dispatcher_decides_priority_at_accept(report, transition):
    case = report("resident")
    response = transition(case["id"], "dispatcher", {"action": "accept", "priority": "urgent"})
    assert response.json["priority"] == "urgent"


def test_a_report_reaches_the_subscribers_of_the_report_event(app, report):
    subscription = WebhookSubscription(name="12345 热线平台", events=["report"],
                                       url="http://127.0.0.1:9/hook", secret="whsec_x").save()
    case = report("resident")
    assert Case.objects.get(id=case["id"]).publish_pending_since is None  # handed to the broker
    fan_out(case["id"], 1)
    (delivery,) = Notification.objects(channel="webhook", recipient=str(subscription.id))
    assert delivery.type == "report" and case["code"] in delivery.body
