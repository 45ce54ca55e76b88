"""Finding 3 of the security review: a sister app's webhooks carry only what its read scope
shows it (its own reports, events written for the reporter) and no staff note leaves the
platform by webhook."""

from __future__ import annotations

import pytest
from bson import ObjectId

from notifications.fanout import fan_out
from server.cases.models import Case
from server.inbox.models import Notification
from server.webhooks.models import WebhookSubscription

INTERNAL = "内部：该居民系上访重点人员，勿回访"


@pytest.fixture
def sister_subscription(app):
    """A sister app's subscription to every event, anywhere (as it could ask for it)."""
    client_id = str(ObjectId())
    subscription = WebhookSubscription(name="视频AI平台", client=client_id, events=["*"],
                                       url="http://127.0.0.1:9/hook", secret="whsec_x").save()
    return client_id, subscription


def webhook_bodies(case_id, subscription):
    """Fan out the case's latest event; the bodies of the webhook notifications it made."""
    fan_out(case_id, Case.objects.get(id=case_id).version)
    return [n.body for n in Notification.objects(channel="webhook", recipient=str(subscription.id))]


def test_a_sister_apps_subscription_gets_nothing_of_a_case_it_did_not_report(
        sister_subscription, case_in):
    _, subscription = sister_subscription
    case = case_in("dispatched")
    assert webhook_bodies(case["id"], subscription) == []


def test_a_sister_app_gets_the_events_of_its_own_report_without_staff_notes(
        sister_subscription, report, transition):
    client_id, subscription = sister_subscription
    case = report("gridworker")
    Case.objects(id=case["id"]).update(set__reporter=f"client:{client_id}")
    assert transition(case["id"], "dispatcher", {"action": "accept", "note": INTERNAL}).status_code == 200
    (body,) = webhook_bodies(case["id"], subscription)
    assert case["code"] in body and INTERNAL not in body


def test_a_sister_app_gets_no_supervision_of_its_own_report(sister_subscription, report, transition):
    client_id, subscription = sister_subscription
    case = report("gridworker")
    Case.objects(id=case["id"]).update(set__reporter=f"client:{client_id}")
    assert transition(case["id"], "supervisor", {"action": "supervise", "note": "抓紧"}).status_code == 200
    assert webhook_bodies(case["id"], subscription) == []


def test_an_admins_subscription_receives_no_staff_note(app, case_in, transition):
    subscription = WebhookSubscription(name="12345 热线平台", events=["supervise"],
                                       url="http://127.0.0.1:9/hook", secret="whsec_x").save()
    case = case_in("accepted")
    assert transition(case["id"], "supervisor", {"action": "supervise", "note": INTERNAL}).status_code == 200
    (body,) = webhook_bodies(case["id"], subscription)
    assert INTERNAL not in body


def test_the_staff_inbox_still_carries_the_internal_note(app, case_in, transition):
    case = case_in("dispatched")
    assert transition(case["id"], "supervisor", {"action": "supervise", "note": INTERNAL}).status_code == 200
    fan_out(case["id"], Case.objects.get(id=case["id"]).version)
    inbox = Notification.objects(channel="inbox", type="supervise")
    assert inbox and all(INTERNAL in n.body for n in inbox)
