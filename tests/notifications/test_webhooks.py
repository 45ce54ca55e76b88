"""Webhook subscriptions and signed deliveries to sister apps (DESIGN §7, §8)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications import delivery
from notifications.fanout import fan_out
from server.cases.models import Case
from server.inbox.models import Notification
from tests.clock import at

NOW = at(2030, 3, 4, 10, 0)


class Receiver:
    """A sister app's endpoint: records each POST, answers with the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/gridhub/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


@pytest.fixture
def subscribe(as_user, receiver):
    def subscribe_(events=("dispatch",), **fields):
        body = {"name": "12345 热线平台", "url": receiver.url, "events": list(events), **fields}
        response = as_user("admin").post("/api/v1/webhooks", json=body)
        assert response.status_code == 201, response.json
        return response.json
    return subscribe_


def deliver_event(case_id, seq=None, now=NOW):
    seq = seq or Case.objects.get(id=case_id).version
    return delivery.deliver(fan_out(case_id, seq, now=now).deliver, now=now)


def verify(secret, headers, body):
    """What a sister app does (docs/INTEGRATION.md): recompute the HMAC over t + "." + body."""
    parts = dict(item.split("=", 1) for item in headers["X-Gridhub-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_subscription_is_created_with_a_secret_shown_once(subscribe, as_user):
    created = subscribe()
    assert created["secret"].startswith("whsec_") and created["events"] == ["dispatch"]
    listed, = as_user("admin").get("/api/v1/webhooks").json
    assert listed["id"] == created["id"] and "secret" not in listed


def test_a_dispatch_is_posted_signed_to_the_subscribed_app(subscribe, case_in, receiver):
    secret = subscribe()["secret"]
    case = case_in("dispatched")
    assert deliver_event(case["id"]).sent == 1
    posted, = receiver.requests
    payload = json.loads(posted["body"])
    notification = Notification.objects.get(channel="webhook")
    assert verify(secret, posted["headers"], posted["body"])
    assert posted["headers"]["X-Gridhub-Event"] == "dispatch"
    assert posted["headers"]["X-Gridhub-Delivery"] == str(notification.id) == payload["id"]
    assert (payload["case_id"], payload["case_code"]) == (case["id"], case["code"])


def test_an_event_nobody_is_told_of_still_reaches_a_subscribed_app(subscribe, report, receiver):
    subscribe(events=["report"])
    case = report()
    deliver_event(case["id"], seq=1)
    assert json.loads(receiver.requests[0]["body"])["event"] == "report"


def test_events_outside_the_filter_or_the_region_are_not_posted(subscribe, case_in, receiver):
    subscribe(events=["verify_pass"])
    subscribe(events=["*"], region="371083002")  # another town
    case = case_in("dispatched")
    deliver_event(case["id"])
    assert receiver.requests == [] and Notification.objects(channel="webhook").count() == 0


def test_a_failing_endpoint_is_retried_and_the_log_shows_the_attempts(subscribe, case_in, receiver, as_user):
    sub = subscribe()
    receiver.answers = [503]
    case = case_in("dispatched")
    report = deliver_event(case["id"])
    assert report.as_dict()["retrying"] == 1
    ident = Notification.objects.get(channel="webhook").id
    assert delivery.deliver([str(ident)], now=NOW + timedelta(minutes=1)).sent == 1
    log, = as_user("admin").get(f"/api/v1/webhooks/{sub['id']}/deliveries").json
    assert (log["status"], log["attempts"]) == ("sent", 2) and len(receiver.requests) == 2


def test_an_endpoint_refusing_the_event_fails_the_delivery_with_the_status(subscribe, case_in, receiver):
    subscribe()
    receiver.answers = [400]
    deliver_event(case_in("dispatched")["id"])
    notification = Notification.objects.get(channel="webhook")
    assert notification.status == "failed" and notification.last_error.startswith("webhook: HTTP 400")


def test_a_subscription_switched_off_before_delivery_fails_it(subscribe, case_in, receiver, as_user):
    sub = subscribe()
    case = case_in("dispatched")
    ids = fan_out(case["id"], Case.objects.get(id=case["id"]).version, now=NOW).deliver
    switched = as_user("admin").patch(f"/api/v1/webhooks/{sub['id']}", json={"active": False})
    assert switched.json["active"] is False
    delivery.deliver(ids, now=NOW)
    assert receiver.requests == [] and Notification.objects.get(channel="webhook").last_error.startswith(
        "subscription_gone")


def test_a_test_delivery_posts_a_signed_ping_and_reports_the_answer(subscribe, receiver, as_user):
    sub = subscribe()
    answer = as_user("admin").post(f"/api/v1/webhooks/{sub['id']}/test").json
    assert answer["delivered"] is True and answer["status_code"] == 200
    assert verify(sub["secret"], receiver.requests[0]["headers"], receiver.requests[0]["body"])


def test_a_test_delivery_to_an_unreachable_url_reports_the_error(subscribe, as_user):
    sub = subscribe(url="http://127.0.0.1:9/nothing-listens-here")
    answer = as_user("admin").post(f"/api/v1/webhooks/{sub['id']}/test").json
    assert (answer["delivered"], answer["status_code"]) == (False, None)
    assert "ConnectionError" in answer["error"]


@pytest.mark.parametrize("body", [
    {"name": "x", "url": "ftp://example.org/hook", "events": ["dispatch"]},
    {"name": "x", "url": "https://user:pw@example.org/hook", "events": ["dispatch"]},
    {"name": "x", "url": "http://[::1/hook", "events": ["dispatch"]},
    {"name": "x", "url": "https://example.org/hook", "events": ["explode"]},
    {"name": "x", "url": "https://example.org/hook", "events": []},
    {"name": "x", "url": "https://example.org/hook", "events": ["dispatch"], "region": "37"},
])
def test_a_malformed_subscription_is_422_and_nothing_is_stored(as_user, body):
    response = as_user("admin").post("/api/v1/webhooks", json=body)
    assert response.status_code == 422 and as_user("admin").get("/api/v1/webhooks").json == []


def test_subscriptions_are_for_admins_only(as_user, receiver):
    response = as_user("dispatcher").post("/api/v1/webhooks", json={
        "name": "x", "url": receiver.url, "events": ["dispatch"]})
    assert response.status_code == 403


def test_a_deleted_subscription_is_gone(subscribe, as_user):
    sub = subscribe()
    assert as_user("admin").delete(f"/api/v1/webhooks/{sub['id']}").status_code == 204
    assert as_user("admin").get(f"/api/v1/webhooks/{sub['id']}").status_code == 404


def test_an_empty_patch_leaves_the_subscription_as_it_was(subscribe, as_user):
    sub = subscribe()
    response = as_user("admin").patch(f"/api/v1/webhooks/{sub['id']}", json={})
    assert response.status_code == 200 and response.json["events"] == ["dispatch"]
