"""The in-app inbox (收件箱): a user's own notifications, unread filter, marking read."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId

from server.auth.principals import Principal
from server.errors import found
from server.inbox.models import Notification


def _mine(principal: Principal, **filters):
    return Notification.objects(recipient=principal.id or "-", channel="inbox", **filters)


def list_mine(*, principal: Principal, unread: bool | None = None):
    """The caller's inbox, newest first; `unread` True/False filters on read state."""
    filters = {} if unread is None else {"read_at__exists": not unread}
    return _mine(principal, **filters).order_by("-created_at", "-id")


def unread_count(*, principal: Principal) -> dict[str, int]:
    return {"unread": _mine(principal, read_at__exists=False).count()}


def mark_read(*, principal: Principal, notification_id: ObjectId) -> Notification:
    notification = found(_mine(principal, id=notification_id).first(), "通知不存在")
    if notification.read_at is None:
        _mine(principal, id=notification_id, read_at__exists=False).update_one(
            set__read_at=datetime.now(UTC))
        notification.reload()
    return notification


def mark_all_read(*, principal: Principal) -> dict[str, int]:
    changed = _mine(principal, read_at__exists=False).update(set__read_at=datetime.now(UTC))
    return {"marked": changed}
