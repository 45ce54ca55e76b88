"""Quiet hours at fan-out (issue 19): which of an event's push and SMS alerts wait.

A county lists the staff roles whose non-urgent alerts are held outside office hours
(`PUT /calendars/{county}/quiet-hours`, `server.catalog.calendars`). An alert is held when the
event is not urgent (`rules.URGENT`, or the case is urgent), it rings a phone (push or SMS — the
inbox is silent and is written at once), and its recipient's role is listed for the case's
county and it is outside that role's working time; it is released at the start of the next
working period into one digest per recipient (`notifications.digests`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from server.auth.models import User
from server.catalog.calendars import quiet_calendars
from workflows.quiet_hours import release_at

HELD_CHANNELS = frozenset({"fcm", "sms"})


def holds(pairs: Iterable[tuple[str, str]], *, county: str, urgent: bool,
          now: datetime) -> dict[str, datetime]:
    """Recipient → the moment their held alerts are released, for those whose alerts wait now.
    One read of the recipients' roles, and only when the county holds some role's alerts."""
    if urgent:
        return {}
    people = sorted({recipient for recipient, channel in pairs if channel in HELD_CHANNELS})
    calendars = quiet_calendars(county) if people else {}
    if not calendars:
        return {}
    held = {}
    for user in User.objects(id__in=people, role__in=sorted(calendars)).only("id", "role"):
        release = release_at(calendars[user.role], now)
        if release is not None:
            held[str(user.id)] = release
    return held
