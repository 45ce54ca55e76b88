"""Webhooks to sister apps (DESIGN §7, §8): a signed JSON POST per event and subscription.

2xx is delivered (redirects are not followed: a 3xx fails); 408, 429 and 5xx answers,
timeouts and connection errors are retried with backoff (Retry-After honoured up to the
longest backoff); any other answer fails the delivery with its status (the receiver's body is
never stored), and a subscription deleted or switched off meanwhile fails it too. The
receiver dedupes by `X-Gridhub-Delivery` (the notification id): a delivery whose answer was
lost is posted again.
"""

from __future__ import annotations

from typing import Any

import requests
from bson import ObjectId

from notifications.channels.base import Outcome, Progress
from server.webhooks import destinations, service
from server.webhooks.models import WebhookSubscription

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def payload(notification: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(notification["_id"]), "event": notification["type"],
            "case_id": notification["case"], "case_code": notification.get("case_code"),
            "seq": notification["seq"], "title": notification["title"], "body": notification["body"],
            "urgent": bool(notification.get("urgent")), "link": (notification.get("data") or {}).get("link"),
            "created_at": notification["created_at"].isoformat()}


class WebhookChannel:
    def send(self, notifications: list[dict[str, Any]],
             progress: Progress | None = None) -> list[Outcome]:
        subscriptions = {str(s.id): s for s in WebhookSubscription.objects(
            id__in=[ObjectId(n["recipient"]) for n in notifications], active=True)}
        return [self._isolated(n, subscriptions.get(n["recipient"])) for n in notifications]

    def _isolated(self, notification: dict[str, Any],
                  subscription: WebhookSubscription | None) -> Outcome:
        """One receiver's answer, however odd, decides its own delivery and no other's."""
        try:
            return self._one(notification, subscription)
        except Exception as exc:
            return Outcome("failed", error=f"webhook: {type(exc).__name__}"[:200])

    def _one(self, notification: dict[str, Any], subscription: WebhookSubscription | None) -> Outcome:
        if subscription is None:
            return Outcome("failed", error="subscription_gone: 订阅已删除或停用")
        try:
            response = service.post(subscription, notification["type"], str(notification["_id"]),
                                     payload(notification))
        except destinations.UnsafeDestination as exc:
            return Outcome("failed", error=f"destination_refused: {exc}: 该地址不允许投递")
        except requests.RequestException as exc:
            return Outcome("retry", error=f"webhook: {type(exc).__name__}"[:200])
        if 200 <= response.status_code < 300:
            return Outcome.sent()
        # The status only: a receiver's body is not ours to store or show.
        error = f"webhook: HTTP {response.status_code}"
        if response.status_code in RETRY_STATUSES:
            after = response.headers.get("Retry-After", "")
            wait = float(after) if after.isascii() and after.isdigit() else None
            return Outcome("retry", error=error, retry_after=wait)
        return Outcome("failed", error=error)
