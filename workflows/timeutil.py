"""Time as the domain reads it: the zone people live in, and stored moments made aware.

Pure: nothing here reads the clock (`server.timeutil.now_utc` does, for the server)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def aware(value: datetime | None) -> datetime | None:
    """Datetimes read back from MongoDB are naive UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
