"""The in-app inbox (收件箱): a user's own notifications, unread filter, marking read."""

from __future__ import annotations

from bson import ObjectId

from server.auth.models import UPDATE_CHANNELS, User
from server.auth.permissions import admin_county, require_admin
from server.auth.principals import Principal
from server.cases import events
from server.errors import Conflict, Forbidden, found
from server.inbox.models import DELIVERED, Notification
from server.timeutil import now_utc


def _mine(principal: Principal, **filters):
    return Notification.objects(recipient=principal.id or "-", channel="inbox", **filters)


# Unread is `read_at: null` (null or missing), not `$exists: false`: the same documents, and an
# index range on (recipient, channel, read_at) on every server (SecantusDB scans for $exists).
UNREAD = {"read_at": None}


def list_mine(*, principal: Principal, unread: bool | None = None):
    """The caller's inbox, newest first; `unread` True/False filters on read state."""
    filters = {} if unread is None else UNREAD if unread else {"read_at__ne": None}
    return _mine(principal, **filters).order_by("-created_at", "-id")


def unread_count(*, principal: Principal) -> dict[str, int]:
    return {"unread": _mine(principal, **UNREAD).count()}


def mark_read(*, principal: Principal, notification_id: ObjectId) -> Notification:
    notification = found(_mine(principal, id=notification_id).first(), "通知不存在")
    if notification.read_at is None:
        _mine(principal, id=notification_id, **UNREAD).update_one(
            set__read_at=now_utc())
        notification.reload()
    return notification


def mark_all_read(*, principal: Principal) -> dict[str, int]:
    changed = _mine(principal, **UNREAD).update(set__read_at=now_utc())
    return {"marked": changed}


# --- deliveries, for admins ------------------------------------------------------------------
def _administered(principal: Principal):
    """Deliveries an admin may see: a county's admin those of the county's cases (a case code
    starts with its county), a platform admin all."""
    require_admin(principal)
    county = admin_county(principal)
    query = Notification.objects(channel__in=DELIVERED)
    if county is not None:
        query = query.filter(case_code__gte=f"{county}-", case_code__lt=f"{county}-\uffff")
    return query


def deliveries(*, principal: Principal, status: str | None = None, channel: str | None = None):
    """Notifications of the delivered channels (push, SMS, webhook), newest first."""
    query = _administered(principal)
    if status:
        query = query.filter(status=status)
    if channel:
        query = query.filter(channel=channel)
    return query.order_by("-created_at", "-id")


def redrive(*, principal: Principal, notification_id: ObjectId) -> Notification:
    """Send a failed notification again from the first attempt (409 unless it failed)."""
    notification = found(_administered(principal).filter(id=notification_id).first(), "通知不存在")
    redriven = Notification.objects(id=notification_id, status="failed").update_one(
        set__status="pending", set__attempts=0, set__next_attempt_at=now_utc(),
        unset__failed_at=True)
    if not redriven:
        raise Conflict("只有投递失败的通知可以重新投递", reason="not_failed", current=notification.status)
    events.queue_delivery([str(notification_id)])
    notification.reload()
    return notification


def preferences(*, principal: Principal) -> dict[str, dict[str, bool]]:
    """How the caller hears about their own reports, per channel."""
    if principal.kind != "user":
        raise Forbidden("接入应用没有个人通知偏好", reason="not_a_user")
    user = found(User.objects(id=principal.id).only("case_update_channels").first(), "用户不存在")
    chosen = set(user.case_update_channels)
    return {"case_updates": {channel: channel in chosen for channel in UPDATE_CHANNELS}}


def set_preferences(*, principal: Principal, case_updates: dict[str, bool]) -> dict[str, dict[str, bool]]:
    """Turn the channels of the caller's case updates on or off (those not named stay)."""
    current = preferences(principal=principal)["case_updates"]
    chosen = [channel for channel in UPDATE_CHANNELS if case_updates.get(channel, current[channel])]
    User.objects(id=principal.id).update_one(set__case_update_channels=chosen)
    return {"case_updates": {channel: channel in chosen for channel in UPDATE_CHANNELS}}
