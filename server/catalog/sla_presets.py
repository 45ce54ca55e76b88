"""The two SLA profiles every installation starts with (DESIGN §5).

- `szcg`, 数字城管 style: short working-hour limits per 大类/小类; urgent cases accepted and
  dispatched within an hour of natural time (never left overnight), urgent 04 events wholly
  on natural time; warning at 80 % of the limit, escalation at 150 % (town) and 200 % (county).
- `sd12345`, the Shandong 12345 hotline rule: urgent requests accepted and dispatched within an
  hour of natural time; handle within 5 working days, extension up to
  10 working days, return within 2 working days of dispatch, 黄牌 one working day before the
  deadline, 红牌 once overdue; escalation one and three working days after it.
"""

from __future__ import annotations

from typing import Any


def _limit(amount: float, unit: str) -> dict[str, Any]:
    return {"amount": amount, "unit": unit}


def _rule(category: str = "", priority: str = "*", **limits: tuple[float, str]) -> dict[str, Any]:
    return {"category": category, "priority": priority,
            "limits": {phase: _limit(*limit) for phase, limit in limits.items()}}


PRESETS: list[dict[str, Any]] = [
    {
        "code": "szcg", "name": "数字城管标准时限", "is_default": True,
        "description": "数字化城市管理：按大类/小类的受理、派遣、签收、处置、核查时限",
        "rules": [
            _rule(accept=(1, "wh"), dispatch=(1, "wh"), sign=(2, "wh"), handle=(1, "wd"),
                  verify=(4, "wh")),
            # Urgent cases are not left overnight: accepted and dispatched within an hour, around
            # the clock (natural time), whatever the category.
            _rule(priority="urgent", accept=(1, "h"), dispatch=(1, "h")),
            _rule("01", handle=(4, "wh")),
            _rule("0101", handle=(5, "wd")),
            _rule("0103", handle=(1, "wd")),
            _rule("02", handle=(1, "wd")),
            _rule("03", handle=(2, "wd")),
            _rule("04", "urgent", accept=(10, "min"), dispatch=(10, "min"), sign=(30, "min"),
                  handle=(4, "h"), verify=(2, "h")),
            _rule("04", "normal", handle=(1, "wd")),
            _rule("05", handle=(2, "wh")),
            _rule("90", handle=(5, "wd"), verify=(2, "wd")),
        ],
        "warn": {"percent": 80},
        "escalate": [{"percent": 150}, {"percent": 200}],
        "max_extension": _limit(5, "wd"),
        "return_window": _limit(1, "wd"),
    },
    {
        "code": "sd12345", "name": "山东12345热线时限", "is_default": False,
        "description": "12345 政务服务便民热线：5 个工作日办结，延期不超过 10 个工作日",
        "rules": [
            _rule(accept=(2, "wh"), dispatch=(2, "wh"), sign=(1, "wd"), handle=(5, "wd"),
                  verify=(2, "wd")),
            _rule(priority="urgent", accept=(1, "h"), dispatch=(1, "h"), sign=(2, "wh"),
                  handle=(2, "wd")),
        ],
        "warn": {"offset": _limit(1, "wd")},
        "escalate": [{"offset": _limit(1, "wd")}, {"offset": _limit(3, "wd")}],
        "max_extension": _limit(10, "wd"),
        "return_window": _limit(2, "wd"),
    },
]


def install() -> int:
    """Add the presets that are missing (an admin's changes to them are kept); return how many
    were added."""
    from server.catalog import sla_profiles

    added = 0
    for preset in PRESETS:
        if sla_profiles.SlaProfile.objects(code=preset["code"]).first() is None:
            has_default = sla_profiles.SlaProfile.objects(is_default=True).first() is not None
            sla_profiles.SlaProfile(**{**preset, "is_default": preset["is_default"]
                                       and not has_default}).save()
            added += 1
    sla_profiles.clear_cache()
    return added
