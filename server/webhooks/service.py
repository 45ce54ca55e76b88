"""Webhook subscriptions (admins), signing, and a synchronous test delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import requests
from bson import ObjectId

from server.auth.models import Client
from server.auth.permissions import admin_county, require_admin
from server.auth.principals import Principal
from server.errors import Forbidden, Unprocessable, found
from server.inbox.models import Notification
from server.timeutil import now_utc
from server.webhooks import destinations
from server.webhooks.models import WebhookSubscription

TIMEOUT = 5  # seconds per delivery


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """`X-Gridhub-Signature`: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def post(subscription: Any, event: str, delivery_id: str, payload: dict[str, Any]) -> requests.Response:
    """POST one signed delivery; raises requests' exceptions on network failure and
    UnsafeDestination where the URL's host is not one webhooks may reach."""
    destinations.check(subscription.url)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "gridhub-webhook/1",
               "X-Gridhub-Event": event, "X-Gridhub-Delivery": delivery_id,
               "X-Gridhub-Signature": sign(subscription.secret, body, int(time.time()))}
    return requests.post(subscription.url, data=body, headers=headers, timeout=TIMEOUT,
                         allow_redirects=False)


def subscribers(*, event_type: str, case: Any, reporter_facing: bool) -> list[WebhookSubscription]:
    """The active subscriptions an event of this case goes to. An admin's subscription (the
    county's own systems) gets what it asked for in its region; a sister app's gets only what its
    read scope shows it — events of its own reports — and only those written for the reporter
    (no supervision, extension or SLA traffic)."""
    chosen = []
    for subscription in WebhookSubscription.objects(active=True):
        if not subscription.wants(event_type, case.region_path):
            continue
        if subscription.client is not None and not (
                reporter_facing and case.reporter == f"client:{subscription.client}"):
            continue
        chosen.append(subscription)
    return chosen


def _visible(principal: Principal):
    """A platform admin manages every subscription, a county's admin those of the county's
    systems (region inside the county), a sister app (scope `webhooks`) only its own."""
    require_admin(principal)
    if principal.kind == "client":
        return WebhookSubscription.objects(client=principal.id)
    county = admin_county(principal)
    if county is not None:
        return WebhookSubscription.objects(client=None, region__gte=county, region__lt=county + "\uffff")
    return WebhookSubscription.objects


def _region(principal: Principal, fields: dict[str, Any]) -> None:
    """A county admin's subscription covers the county at most (its county when unsaid)."""
    county = admin_county(principal) if principal.kind == "user" else None
    if county is None:
        return
    fields.setdefault("region", county)
    if fields["region"] is None or not fields["region"].startswith(county):
        raise Forbidden("只能订阅本县（市、区）的事件", reason="outside_county")


def _check_url(principal: Principal, url: str | None) -> None:
    """No webhook at an internal address; a sister app's only under the URLs it registered."""
    if url is None:
        return
    try:
        destinations.check_registration(url)
    except destinations.UnsafeDestination as exc:
        raise Unprocessable("回调地址不能指向本机、内网或保留地址", reason="webhook_url_not_allowed",
                            fields={"url": ["须为可公开访问的地址"]}) from exc
    if principal.kind != "client":
        return
    client = Client.objects(id=principal.id).only("webhook_urls").first()
    if client is None or not any(destinations.under(url, allowed) for allowed in client.webhook_urls):
        raise Forbidden("该地址不在接入应用登记的回调地址之内", reason="webhook_url_not_allowed")


def list_all(*, principal: Principal):
    return _visible(principal).order_by("-created_at", "-id")


def get(*, principal: Principal, subscription_id: ObjectId) -> WebhookSubscription:
    return found(_visible(principal).filter(id=subscription_id).first(), "订阅不存在")


def create(*, principal: Principal, **fields: Any) -> WebhookSubscription:
    """A new subscription with a generated secret (shown in this answer only)."""
    _visible(principal)
    _check_url(principal, fields.get("url"))
    _region(principal, fields)
    return WebhookSubscription(secret="whsec_" + secrets.token_urlsafe(32), created_by=principal.key,
                               client=principal.id if principal.kind == "client" else None,
                               **fields).save()


def update(*, principal: Principal, subscription_id: ObjectId, **fields: Any) -> WebhookSubscription:
    subscription = get(principal=principal, subscription_id=subscription_id)
    _check_url(principal, fields.get("url"))
    if "region" in fields:
        _region(principal, fields)
    if fields:
        subscription.modify(**fields)
    return subscription


def delete(*, principal: Principal, subscription_id: ObjectId) -> None:
    get(principal=principal, subscription_id=subscription_id).delete()


def deliveries(*, principal: Principal, subscription_id: ObjectId):
    """The delivery log of one subscription, newest first."""
    get(principal=principal, subscription_id=subscription_id)
    return Notification.objects(channel="webhook", recipient=str(subscription_id)) \
        .order_by("-created_at", "-id")


def test_delivery(*, principal: Principal, subscription_id: ObjectId) -> dict[str, Any]:
    """Post a signed `ping` now and report what the endpoint answered."""
    subscription = get(principal=principal, subscription_id=subscription_id)
    delivery_id = "ping-" + secrets.token_hex(8)
    started = time.monotonic()
    # Only the status and the kind of failure: the receiver's answer and the network's error
    # text are not echoed (they would make this a reader of internal services).
    try:
        response = post(subscription, "ping", delivery_id,
                        {"id": delivery_id, "event": "ping", "sent_at": now_utc().isoformat()})
    except destinations.UnsafeDestination as exc:
        error: str | None = f"destination_refused: {exc}"
        status_code = None
    except requests.RequestException as exc:
        error, status_code = f"network_error: {type(exc).__name__}", None
    else:
        status_code = response.status_code
        error = None if 200 <= status_code < 300 else f"http_status: {status_code}"
    return {"delivered": error is None, "status_code": status_code, "error": error,
            "elapsed_ms": round((time.monotonic() - started) * 1000)}
