"""Delivering push and SMS: firebase-admin's real code path against the fake FCM, claims,
retries with backoff, pruning, failure and re-drive (DESIGN §8)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications import delivery
from notifications.channels.base import Outcome
from notifications.channels.registry import enabled
from notifications.fanout import fan_out
from server import pii
from server.auth.models import User
from server.cases.models import Case
from server.config import Config
from server.inbox.models import Device, Notification
from tests.clock import at
from tests.factories import staff_of

NOW = at(2030, 3, 4, 10, 0)
LEASE = timedelta(seconds=Config.DELIVERY_LEASE_SECONDS)


@pytest.fixture
def dispatched(case_in):
    """A dispatched case fanned out; returns the ids to deliver."""
    def dispatched_():
        case = case_in("dispatched")
        return fan_out(case["id"], Case.objects.get(id=case["id"]).version, now=NOW).deliver
    return dispatched_


def push_of(username):
    return Notification.objects.get(recipient=str(User.objects.get(username=username).id), channel="fcm")


def deliver(ids, now=NOW):
    return delivery.deliver(ids, now=now)


# --- push ------------------------------------------------------------------------------------
def test_a_dispatch_reaches_the_handlers_phone_through_firebase_admin(push, device_of, dispatched):
    token = device_of("handler")
    report = deliver(dispatched())
    message, = push.received()
    notification = push_of("handler")
    assert report.sent == 1 and notification.status == "sent" and notification.attempts == 1
    assert message["token"] == token and message["notification"]["title"] == "新派遣案件待签收"
    assert message["data"]["case_id"] == notification.case
    assert message["data"]["link"] == f"gridhub://cases/{notification.case}"
    assert message["data"]["notification_id"] == str(notification.id)
    assert message["android"]["priority"] == "normal" and message["apns"]["headers"]["apns-priority"] == "5"
    assert push.tokens_issued >= 1  # the OAuth JWT-bearer grant went to the fake too


def test_an_urgent_event_is_pushed_at_high_priority(push, device_of, case_in, as_user):
    device_of("handler")
    case = case_in("in_progress")
    as_user("supervisor").post(f"/api/v1/cases/{case['id']}/transitions",
                               json={"action": "supervise", "level": 1, "note": "请加快处置"})
    deliver(fan_out(case["id"], Case.objects.get(id=case["id"]).version, now=NOW).deliver)
    message, = push.received()
    assert message["android"]["priority"] == "high" and message["apns"]["headers"]["apns-priority"] == "10"


def test_every_device_of_the_recipient_gets_the_push(push, device_of, dispatched):
    tokens = {device_of("handler"), device_of("handler", platform="ios")}
    deliver(dispatched())
    assert {m["token"] for m in push.received()} == tokens
    assert len(push_of("handler").delivered_to) == 2


def test_a_user_without_devices_gets_no_push_notification(push, device_of, dispatched):
    dispatched()
    assert Notification.objects(channel="fcm").count() == 0


def test_without_fcm_credentials_only_the_inbox_is_written(device_of, dispatched):
    device_of("handler")
    assert dispatched() == [] and Notification.objects(channel="fcm").count() == 0


def test_an_unregistered_token_is_pruned_and_the_push_fails_with_the_reason(push, device_of, dispatched):
    push.set(unregistered={device_of("handler")})
    report = deliver(dispatched())
    notification = push_of("handler")
    assert report.failed == 1 and notification.status == "failed"
    assert "UNREGISTERED" in notification.last_error or "NOT_FOUND" in notification.last_error
    assert Device.objects.count() == 0


def test_a_dead_token_beside_a_live_one_is_pruned_and_the_push_counts_as_sent(push, device_of, dispatched):
    live = device_of("handler")
    push.set(unregistered={device_of("handler")})
    deliver(dispatched())
    assert push_of("handler").status == "sent" and [d.token for d in Device.objects] == [live]


def test_an_unavailable_fcm_is_retried_later_with_backoff(push, device_of, dispatched):
    device_of("handler")
    push.set(unavailable=1)
    ids = dispatched()
    report = deliver(ids)
    notification = push_of("handler")
    assert report.as_dict()["retrying"] == 1 and notification.status == "pending"
    assert "UNAVAILABLE" in notification.last_error and notification.next_attempt_at > NOW
    assert deliver(ids).skipped == 1  # not due yet
    assert deliver(ids, now=NOW + timedelta(minutes=1)).sent == 1
    assert len(push.received()) == 1 and push_of("handler").attempts == 2


def test_a_retry_does_not_push_again_to_a_device_already_reached(push, device_of, dispatched):
    first, second = device_of("handler"), device_of("handler")
    push.set(internal=1)
    ids = dispatched()
    deliver(ids)
    deliver(ids, now=NOW + timedelta(minutes=1))
    assert sorted(m["token"] for m in push.received()) == sorted([first, second])


def test_quota_exceeded_waits_at_least_what_retry_after_asks(push, device_of, dispatched):
    device_of("handler")
    push.set(quota=1, retry_after=120)
    deliver(dispatched())
    assert push_of("handler").next_attempt_at >= NOW + timedelta(seconds=120)


def test_after_the_last_attempt_the_push_is_failed_with_its_reason(push, device_of, dispatched):
    device_of("handler")
    push.set(unavailable=delivery.MAX_ATTEMPTS)
    ids, now = dispatched(), NOW
    for _ in range(delivery.MAX_ATTEMPTS):
        report = deliver(ids, now=now)
        now += timedelta(hours=2)
    notification = push_of("handler")
    assert report.failed == 1 and notification.status == "failed"
    assert notification.attempts == delivery.MAX_ATTEMPTS and "UNAVAILABLE" in notification.last_error
    assert push.received() == []


# --- claims and recovery ---------------------------------------------------------------------
def test_a_notification_claimed_by_one_worker_is_not_claimed_by_another(push, device_of, dispatched):
    device_of("handler")
    ids = dispatched()
    _, first = delivery.claim(ids, NOW)
    _, second = delivery.claim(ids, NOW)
    assert len(first) == 1 and second == []


def test_only_the_claim_holder_can_settle(push, device_of, dispatched):
    device_of("handler")
    _, (raw,) = delivery.claim(dispatched(), NOW)
    assert delivery.settle(raw, Outcome.sent(), token="not-mine", now=NOW) == (None, None)
    assert push_of("handler").status == "sending"


def test_a_claim_whose_worker_died_goes_back_to_pending_when_its_lease_runs_out(push, device_of, dispatched):
    device_of("handler")
    ids = dispatched()
    delivery.claim(ids, NOW)
    assert delivery.recover(now=NOW + timedelta(seconds=30)) == []
    assert delivery.recover(now=NOW + LEASE) == ids
    assert push_of("handler").status == "pending"
    assert deliver(ids, now=NOW + LEASE).sent == 1


def test_a_pending_notification_whose_task_was_lost_is_queued_again(push, device_of, dispatched):
    device_of("handler")
    ids = dispatched()
    assert delivery.recover(now=NOW) == []
    assert delivery.recover(now=NOW + delivery.LOST_AFTER) == ids
    assert delivery.recover(now=NOW + delivery.LOST_AFTER) == []  # left to the task just queued


# --- backoff ---------------------------------------------------------------------------------
@pytest.mark.parametrize("attempts", [1, 2, 5, 8, 20])
def test_backoff_doubles_with_jitter_in_the_upper_half_and_is_capped(attempts):
    ceiling = min(delivery.MAX_DELAY, delivery.BASE_DELAY * 2 ** (attempts - 1))
    waits = {delivery.backoff(attempts) for _ in range(50)}
    assert all(ceiling / 2 <= wait <= ceiling for wait in waits) and len(waits) > 1


def test_backoff_honours_a_longer_retry_after():
    assert delivery.backoff(1, retry_after=300) == 300


# --- SMS -------------------------------------------------------------------------------------
def test_an_overdue_case_is_also_sent_by_sms_to_recipients_with_a_phone(case_in):
    User.objects(username="handler").update_one(set__phone_sealed=pii.seal("13812345678")[0])
    case = case_in("in_progress")
    from server.supervision.sweep import sweep

    sweep(now=Case.objects.get(id=case["id"]).sla["due_at"] + timedelta(minutes=1))
    stored = Case.objects.get(id=case["id"])
    overdue = next(e["seq"] for e in stored.history if e["action"] == "sla.overdue")
    ids = fan_out(case["id"], overdue, now=NOW).deliver
    assert [n.channel for n in Notification.objects(id__in=ids)] == ["sms"]
    assert deliver(ids).sent == 1
    (phone, text), = list(enabled()["sms"].gateway.sent)[-1:]
    assert phone == "13812345678" and text.startswith("【网格治理】红牌：案件已超期") and stored.code in text


def test_a_gateway_refusal_fails_the_sms_with_its_reason(case_in, monkeypatch):
    from notifications.channels import sms

    User.objects(username="handler").update_one(set__phone_sealed=pii.seal("13812345678")[0])
    case = case_in("in_progress")

    def refuse(phone, text):
        raise sms.GatewayError("号码已停机")

    monkeypatch.setattr(enabled()["sms"].gateway, "send", refuse)
    from server.supervision.sweep import sweep

    sweep(now=Case.objects.get(id=case["id"]).sla["due_at"] + timedelta(minutes=1))
    overdue = next(e["seq"] for e in Case.objects.get(id=case["id"]).history if e["action"] == "sla.overdue")
    deliver(fan_out(case["id"], overdue, now=NOW).deliver)
    assert Notification.objects.get(channel="sms").last_error == "sms: 号码已停机"


# --- failed deliveries, for admins -----------------------------------------------------------
@pytest.fixture
def failed_push(push, device_of, dispatched):
    push.set(unregistered={device_of("handler")})
    deliver(dispatched())
    return push_of("handler")


def test_admins_list_the_failed_deliveries_with_their_reason(failed_push, as_user):
    listed = as_user("admin").get("/api/v1/notifications?status=failed").json
    assert [(n["id"], n["channel"], n["status"]) for n in listed] == [(str(failed_push.id), "fcm", "failed")]
    assert listed[0]["last_error"] == failed_push.last_error


def test_another_countys_admin_neither_lists_nor_redrives_the_countys_deliveries(failed_push, as_user):
    outsider = as_user(staff_of("370602", "admin").username)
    assert outsider.get("/api/v1/notifications?status=failed").json == []
    assert outsider.post(f"/api/v1/notifications/{failed_push.id}/redrive").status_code == 404


def test_the_delivery_list_is_for_admins_only(failed_push, as_user):
    response = as_user("dispatcher").get("/api/v1/notifications?status=failed")
    assert response.status_code == 403 and response.json["errors"]["reason"] == "forbidden"


def test_an_unknown_status_filter_is_422(as_user, demo):
    assert as_user("admin").get("/api/v1/notifications?status=lost").status_code == 422


def test_a_redriven_notification_is_delivered_from_the_first_attempt(failed_push, as_user, device_of, push):
    token = device_of("handler", token="handler-new-phone-" + "y" * 24)  # registered again
    response = as_user("admin").post(f"/api/v1/notifications/{failed_push.id}/redrive")
    assert response.status_code == 200
    assert (response.json["status"], response.json["attempts"]) == ("pending", 0)
    deliver([str(failed_push.id)], now=NOW + timedelta(minutes=5))
    assert push_of("handler").status == "sent" and [m["token"] for m in push.received()] == [token]


def test_redriving_a_notification_that_did_not_fail_is_409(push, device_of, dispatched, as_user):
    device_of("handler")
    ident = dispatched()[0]
    response = as_user("admin").post(f"/api/v1/notifications/{ident}/redrive")
    assert response.status_code == 409 and response.json["errors"]["reason"] == "not_failed"


def test_redriving_is_for_admins_only(failed_push, as_user):
    assert as_user("handler").post(f"/api/v1/notifications/{failed_push.id}/redrive").status_code == 403
    assert push_of("handler").status == "failed"


def test_a_worker_dying_mid_batch_repeats_no_device_already_reached(push, device_of, dispatched, monkeypatch):
    from notifications.channels import fcm

    tokens = sorted([device_of("handler"), device_of("handler"), device_of("handler")])
    monkeypatch.setattr(fcm, "WAVE", 1)
    recorder = delivery._recorder

    def dying_after_first_wave(batch, token):
        record = recorder(batch, token)

        def record_then_die(reached):
            record(reached)
            raise SystemExit("worker killed")
        return record_then_die

    monkeypatch.setattr(delivery, "_recorder", dying_after_first_wave)
    ids = dispatched()
    with pytest.raises(SystemExit):
        deliver(ids)
    monkeypatch.setattr(delivery, "_recorder", recorder)
    assert delivery.recover(now=NOW + LEASE) == ids
    deliver(ids, now=NOW + LEASE)
    assert sorted(m["token"] for m in push.received()) == tokens and push_of("handler").status == "sent"
