"""SLA policy as data (DESIGN §5): phases, a limit with its unit, the warning and escalation
points, and a profile mapping (category × priority) to a limit per phase.

Pure: no Flask, no database. `workflows.sla` runs the clocks these policies define.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from workflows.calendar import UNITS, WorkCalendar
from workflows.case_table import PRIORITIES

PHASES = ("accept", "dispatch", "sign", "handle", "verify")
PHASE_LABELS: Mapping[str, str] = {
    "accept": "受理", "dispatch": "派遣", "sign": "签收", "handle": "处置", "verify": "核查"}
ANY = "*"

MAX_MINUTES = 366 * 24 * 60  # no single limit or offset spans more than a year


class SlaError(ValueError):
    """A profile, limit or request the SLA rules refuse; `reason` is a stable code."""

    def __init__(self, message: str, *, reason: str = "invalid_sla", field: str | None = None):
        super().__init__(message)
        self.message, self.reason, self.field = message, reason, field


@dataclass(frozen=True)
class Limit:
    amount: float
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise SlaError(f"时限单位须为 {'/'.join(UNITS)} 之一", reason="unknown_unit")
        if not isinstance(self.amount, int | float) or not math.isfinite(self.amount) \
                or self.amount <= 0:
            raise SlaError("时限须为正数", reason="invalid_amount")
        if self.amount * {"min": 1, "h": 60, "wh": 60, "wd": 24 * 60}[self.unit] > MAX_MINUTES:
            raise SlaError("时限不能超过一年", reason="invalid_amount")

    @property
    def working(self) -> bool:
        return self.unit in ("wh", "wd")

    def minutes(self, cal: WorkCalendar) -> float:
        """The limit in minutes of its own clock (working minutes for wh/wd)."""
        return self.amount * {"min": 1, "h": 60, "wh": 60, "wd": cal.day_minutes}[self.unit]

    def label(self) -> str:
        units = {"min": "分钟", "h": "小时", "wh": "个工作小时", "wd": "个工作日"}
        return f"{self.amount:g}{units[self.unit]}"


@dataclass(frozen=True)
class Point:
    """When a notice falls: a percentage of the limit from the phase's start, or an offset
    from the deadline (before it for the warning, after it for escalations)."""

    percent: float | None = None
    offset: Limit | None = None

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.offset is None):
            raise SlaError("提醒点须且只能指定 percent 或 offset 之一", reason="invalid_point")
        if self.percent is not None and (not math.isfinite(self.percent) or self.percent <= 0
                                         or self.percent > 1000):
            raise SlaError("百分比须在 0 到 1000 之间", reason="invalid_point")


@dataclass(frozen=True)
class Rule:
    """Limits for cases of a category (a code, or a 大类 prefix; "" for all) and priority."""

    limits: Mapping[str, Limit]
    category: str = ""
    priority: str = ANY

    def __post_init__(self) -> None:
        unknown = set(self.limits) - set(PHASES)
        if unknown:
            raise SlaError(f"未知阶段：{', '.join(sorted(unknown))}", reason="unknown_phase")
        if self.priority not in (*PRIORITIES, ANY):
            raise SlaError("优先级须为 normal、urgent 或 *", reason="invalid_priority")

    def matches(self, category: str, priority: str) -> bool:
        return category.startswith(self.category) and self.priority in (ANY, priority)

    def specificity(self) -> tuple[int, int]:
        return len(self.category), self.priority != ANY


@dataclass(frozen=True)
class Profile:
    code: str
    name: str
    rules: tuple[Rule, ...]
    warn: Point = Point(percent=80)
    escalate: tuple[Point, Point] = (Point(percent=150), Point(percent=200))
    max_extension: Limit | None = None
    return_window: Limit | None = None

    def __post_init__(self) -> None:
        keys = [(r.category, r.priority) for r in self.rules]
        if len(keys) != len(set(keys)):
            raise SlaError("同一类别和优先级的规则重复", reason="duplicate_rule")
        if len(self.escalate) != 2:
            raise SlaError("升级点须有两个（街镇、县级）", reason="invalid_point")
        if self.warn.percent is not None and self.warn.percent >= 100:
            raise SlaError("黄牌须早于期限（百分比小于 100）", reason="invalid_point")
        for point in self.escalate:
            if point.percent is not None and point.percent <= 100:
                raise SlaError("升级须晚于期限（百分比大于 100）", reason="invalid_point")
        first, second = self.escalate
        if first.percent is not None and second.percent is not None \
                and second.percent <= first.percent:
            raise SlaError("县级升级须晚于街镇升级", reason="invalid_point")

    def limits_for(self, category: str, priority: str) -> dict[str, Limit]:
        """Per phase, the limit of the most specific matching rule (a phase no rule sets is
        untimed)."""
        limits: dict[str, Limit] = {}
        for rule in sorted((r for r in self.rules if r.matches(category, priority)),
                           key=Rule.specificity):
            limits.update(rule.limits)
        return limits
