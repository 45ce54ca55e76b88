"""Finding 10 of the security review: one hostile webhook receiver cannot break delivery for
the others — an absurd Retry-After is clamped, each delivery settles on its own, and only a
2xx counts as delivered."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications import delivery
from notifications.fanout import fan_out
from server.cases.models import Case
from server.inbox.models import Notification
from server.webhooks.models import WebhookSubscription


class Answering:
    """An endpoint that answers every POST with one status and headers."""

    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        answer = (status, headers or {})

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(answer[0])
                for name, value in answer[1].items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "20")
                self.end_headers()
                self.wfile.write(b"secret internal page")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoints():
    made = []

    def make(status, headers=None):
        endpoint = Answering(status, headers)
        made.append(endpoint)
        return WebhookSubscription(name=f"接收方{len(made)}", events=["dispatch"], url=endpoint.url,
                                   secret="whsec_x").save()
    yield make
    for endpoint in made:
        endpoint.close()


def deliver_dispatch(case_in):
    case = case_in("dispatched")
    now = datetime.now(UTC)
    ids = fan_out(case["id"], Case.objects.get(id=case["id"]).version, now=now).deliver
    delivery.deliver(ids, now=now)
    return now


def webhook_of(subscription):
    return Notification.objects.get(channel="webhook", recipient=str(subscription.id))


def test_an_absurd_retry_after_is_clamped_and_the_others_are_delivered(endpoints, case_in):
    hostile = endpoints(503, {"Retry-After": "99999999999999999999"})
    good = endpoints(200)
    now = deliver_dispatch(case_in)
    assert webhook_of(good).status == "sent"
    retried = webhook_of(hostile)
    assert retried.status == "pending"
    assert retried.next_attempt_at.replace(tzinfo=UTC) <= now + timedelta(seconds=delivery.MAX_DELAY)


def test_a_redirect_is_not_a_delivery(endpoints, case_in):
    redirecting = endpoints(302, {"Location": "http://127.0.0.1:1/elsewhere"})
    deliver_dispatch(case_in)
    failed = webhook_of(redirecting)
    assert failed.status == "failed" and "302" in failed.last_error


def test_a_receivers_body_is_never_stored(endpoints, case_in):
    refusing = endpoints(400)
    deliver_dispatch(case_in)
    assert "secret internal page" not in webhook_of(refusing).last_error


def test_a_settle_that_fails_for_one_notification_fails_it_and_settles_the_rest(
        endpoints, case_in, monkeypatch):
    first, second = endpoints(200), endpoints(200)
    real = delivery.settle
    broken = {"done": False}

    def settle_once_broken(raw, outcome, **kwargs):
        if not broken["done"] and outcome.status == "sent":
            broken["done"] = True
            raise OverflowError("date value out of range")
        return real(raw, outcome, **kwargs)

    monkeypatch.setattr(delivery, "settle", settle_once_broken)
    deliver_dispatch(case_in)
    statuses = sorted(webhook_of(s).status for s in (first, second))
    assert statuses == ["failed", "sent"]
    assert Notification.objects(status="sending").count() == 0
