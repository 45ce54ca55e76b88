"""Case events reach the inbox through a real worker on Redis."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from server.auth.models import User
from server.cases import events
from server.cases.models import Case
from server.inbox.models import Notification
from tests.cases import CLOSED_LOOP
from tests.celery_worker import wait_for, worker_on


def test_a_dispatch_reaches_the_handlers_inbox_through_the_worker(celery_worker, case_in,
                                                                  as_user):
    case = case_in("dispatched")
    handler = str(User.objects.get(username="handler").id)
    notice = wait_for(lambda: Notification.objects(recipient=handler, case=case["id"]).first())
    assert notice.type == "dispatch"
    badge = as_user("handler").get("/api/v1/me/notifications/unread-count").json
    assert badge == {"unread": 1}


def test_a_dispatch_reaches_the_handlers_phone_at_fcm_and_the_inbox(push, device_of, celery_worker, case_in):
    token = device_of("handler")
    case = case_in("dispatched")
    message, = wait_for(push.received)
    assert message["token"] == token and message["data"]["case_id"] == case["id"]
    handler = str(User.objects.get(username="handler").id)
    channels = {n.channel: n.status for n in Notification.objects(recipient=handler, case=case["id"])}
    assert wait_for(lambda: Notification.objects(channel="fcm", status="sent").count()) == 1
    assert channels["inbox"] == "sent"


def test_a_push_fcm_refused_for_a_while_arrives_after_the_backoff(push, device_of, celery_worker, case_in):
    device_of("handler")
    push.set(unavailable=2)
    case_in("dispatched")
    message, = wait_for(push.received, timeout=30)
    notification = Notification.objects.get(channel="fcm")
    assert wait_for(lambda: notification.reload() or notification.status == "sent")
    assert notification.attempts == 3 and len(push.refused) == 2


def test_with_redis_down_a_transition_succeeds_and_its_alert_arrives_once_redis_is_back(
        app, own_redis, push, device_of, case_in, transition):
    device_of("handler")
    case = case_in("accepted")
    with worker_on(app, own_redis.url):
        own_redis.stop()
        started = time.monotonic()
        response = transition(case["id"], "dispatcher", CLOSED_LOOP[1][1])
        assert response.status_code == 200 and time.monotonic() - started < 5
        assert Case.objects.get(id=case["id"]).publish_pending_since is not None
        own_redis.start()
        # what beat's relay (every 30 s) does once the events have waited RELAY_AFTER
        assert events.relay(now=datetime.now(UTC) + events.RELAY_AFTER) == 1
        message, = wait_for(push.received, timeout=30)
    assert message["data"]["case_id"] == case["id"] and message["data"]["type"] == "dispatch"
