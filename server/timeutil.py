"""The one clock (DESIGN §2): aware UTC now, the Asia/Shanghai zone times are shown in, and the
reading of stored (naive UTC) moments as aware ones. Production code takes `now` from here,
so a test moves one clock."""

from __future__ import annotations

from datetime import UTC, datetime

from workflows.timeutil import SHANGHAI, aware

__all__ = ["SHANGHAI", "aware", "now_utc", "moment_label"]


def now_utc() -> datetime:
    return datetime.now(UTC)


def moment_label(moment: datetime) -> str:
    """A moment as people read it in notes and notifications: 11月30日 10:00 (Shanghai)."""
    return aware(moment).astimezone(SHANGHAI).strftime("%m月%d日 %H:%M")
