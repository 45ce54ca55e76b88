"""The one clock (DESIGN §2): aware UTC now, and the Asia/Shanghai zone times are shown in."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    return datetime.now(UTC)
