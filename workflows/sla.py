"""SLA clocks (DESIGN §5): deadlines, the traffic light and escalation, for the policies of
`workflows.sla_policy`.

Pure: no Flask, no database. When
a phase starts, its clock is computed once (deadline, warning and escalation points) and
stored on the case. Actions move clocks through `on_action`; the sweep asks `fire` which
warnings, overdue notices and escalations are due. Times are timezone-aware datetimes.

A limit in `min`/`h` runs on natural time; in `wh`/`wd` on working time. Offsets of the
warning and escalation points are counted on the same clock as the phase's limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from workflows.calendar import WorkCalendar
from workflows.sla_policy import (
    MAX_MINUTES,
    PHASES,
    Limit,
    Point,
    Profile,
    SlaError,
)
from workflows.timeutil import aware

# The notices a clock gives, in the order they fall due: (level key, event type, escalation).
NOTICES = (("warning", "sla.warning", 0), ("overdue", "sla.overdue", 0),
           ("escalated:1", "sla.escalated", 1), ("escalated:2", "sla.escalated", 2))

def _amount(value: float) -> str:
    return f"{round(value, 1):g}"


def remaining_text(limit: Limit, minutes: float, day_minutes: float, *, overdue: bool) -> str:
    """Time left (or overdue) in the unit the limit counts: working days or working hours for
    working-time limits ("剩余 1.5 个工作日"), natural hours or days otherwise ("超期 3 小时").
    `overdue` is whether the deadline has passed: a working-time deadline passed on a Friday
    evening is overdue on Saturday with no working minute in between."""
    prefix, left = ("超期", abs(minutes)) if overdue else ("剩余", max(minutes, 0.0))
    if left < 1:
        return "已超期" if overdue else "即将到期"
    if limit.working:
        if limit.unit == "wd" and left >= day_minutes:
            return f"{prefix} {_amount(left / day_minutes)} 个工作日"
        if left >= 60:
            return f"{prefix} {_amount(left / 60)} 个工作小时"
        return f"{prefix} {round(left)} 分钟（工作时间）"
    if left >= 48 * 60:
        return f"{prefix} {_amount(left / 1440)} 天"
    if left >= 60:
        return f"{prefix} {_amount(left / 60)} 小时"
    return f"{prefix} {round(left)} 分钟"


@dataclass(frozen=True)
class Clock:
    """One phase's timer. `fired` holds the notices already given for this round."""

    phase: str
    limit: Limit
    started_at: datetime
    deadline: datetime
    warn_at: datetime
    escalate_at: datetime  # level 1: the town supervisor
    escalate_county_at: datetime  # level 2: the county supervisor
    base_deadline: datetime  # the deadline without extensions (the maximum counts from it)
    round: int = 1
    paused_at: datetime | None = None
    suspended_wm: float = 0.0  # working minutes spent suspended
    ended_at: datetime | None = None
    on_time: bool | None = None
    fired: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        return self.ended_at is None

    def points(self) -> list[tuple[str, str, int, datetime]]:
        at = (self.warn_at, self.deadline, self.escalate_at, self.escalate_county_at)
        return [(key, kind, level, when) for (key, kind, level), when in zip(NOTICES, at,
                                                                             strict=True)]

    def pending(self) -> list[tuple[str, str, int, datetime]]:
        return [p for p in self.points() if p[0] not in self.fired]

    def light(self, now: datetime) -> str | None:
        """green before warn_at, yellow from it, red from the deadline; None once ended."""
        if not self.running:
            return None
        moment = self.paused_at or now
        return "red" if moment >= self.deadline else "yellow" if moment >= self.warn_at \
            else "green"

    def remaining_minutes(self, now: datetime, cal: WorkCalendar) -> float:
        """Minutes on the phase's clock until the deadline (negative once overdue)."""
        moment = self.ended_at or self.paused_at or now
        if self.limit.working:
            return round(cal.working_minutes(moment, self.deadline), 1)
        return round((self.deadline - moment).total_seconds() / 60, 1)

    def to_doc(self) -> dict[str, Any]:
        doc = {name: getattr(self, name) for name in (
            "phase", "started_at", "deadline", "warn_at", "escalate_at", "escalate_county_at",
            "base_deadline", "round", "paused_at", "suspended_wm", "ended_at", "on_time")}
        return {**doc, "limit": {"amount": self.limit.amount, "unit": self.limit.unit},
                "fired": list(self.fired)}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Clock:
        times = {k: aware(doc.get(k)) for k in (
            "started_at", "deadline", "warn_at", "escalate_at", "escalate_county_at",
            "base_deadline", "paused_at", "ended_at")}
        return cls(phase=doc["phase"], limit=Limit(**doc["limit"]), round=doc.get("round", 1),
                   suspended_wm=doc.get("suspended_wm", 0.0), on_time=doc.get("on_time"),
                   fired=tuple(doc.get("fired", ())), **times)


def _shift(moment: datetime, minutes: float, working: bool, cal: WorkCalendar) -> datetime:
    if working:
        return cal.add_working_minutes(moment, minutes)
    return moment + timedelta(minutes=minutes)


def _point(point: Point, *, start: datetime, span: float, deadline: datetime, after: bool,
           working: bool, cal: WorkCalendar) -> datetime:
    if point.percent is not None:
        return _shift(start, span * point.percent / 100, working, cal)
    offset = point.offset.minutes(cal)
    if after:
        return _shift(deadline, offset, working, cal)
    return _shift(start, max(0.0, span - offset), working, cal)


def start_clock(phase: str, limit: Limit, *, start: datetime, profile: Profile,
                cal: WorkCalendar, round_: int = 1) -> Clock:
    """A phase's clock from its start: the deadline and every notice point, computed once."""
    span, working = limit.minutes(cal), limit.working
    deadline = _shift(start, span, working, cal)
    common = {"start": start, "span": span, "deadline": deadline, "working": working, "cal": cal}
    first, second = profile.escalate
    return Clock(phase=phase, limit=limit, started_at=start, deadline=deadline,
                 warn_at=_point(profile.warn, after=False, **common),
                 escalate_at=_point(first, after=True, **common),
                 escalate_county_at=_point(second, after=True, **common),
                 base_deadline=deadline, round=round_)


def _move(clock: Clock, minutes: float, cal: WorkCalendar, *, base: bool) -> Clock:
    """Every point of a clock moved later by `minutes` on its own clock."""
    def later(moment: datetime) -> datetime:
        return _shift(moment, minutes, clock.limit.working, cal)

    return replace(clock, deadline=later(clock.deadline), warn_at=later(clock.warn_at),
                   escalate_at=later(clock.escalate_at),
                   escalate_county_at=later(clock.escalate_county_at),
                   base_deadline=later(clock.base_deadline) if base else clock.base_deadline)


def extension_deadline(clock: Clock, *, profile: Profile, cal: WorkCalendar, now: datetime,
                       until: datetime | None = None, duration_wd: float | None = None) -> datetime:
    """The handle deadline an extension request asks for, checked against the profile."""
    where = "until" if until is not None else "duration_wd"
    if until is None and not (isinstance(duration_wd, int | float) and duration_wd > 0):
        raise SlaError("延期天数须为正数", reason="invalid_extension", field=where)
    target = until if until is not None else cal.add(clock.deadline, duration_wd, "wd")
    if target - now > timedelta(minutes=MAX_MINUTES):
        raise SlaError("延期后的期限不能超过一年", reason="invalid_extension", field=where)
    if target <= clock.deadline or target <= now:
        raise SlaError("延期后的期限须晚于当前期限和现在", reason="invalid_extension", field=where)
    if profile.max_extension is not None:
        latest = _shift(clock.base_deadline, profile.max_extension.minutes(cal),
                        clock.limit.working, cal)
        if target > latest:
            raise SlaError(f"延期不能超过 {profile.max_extension.label()}",
                           reason="extension_too_long", field=where)
    return target


def check_return(profile: Profile, *, dispatched_at: datetime | None, now: datetime,
                 cal: WorkCalendar) -> None:
    """A handler may return a case only within the profile's return window from dispatch."""
    window = profile.return_window
    if window is None or dispatched_at is None:
        return
    if now > _shift(dispatched_at, window.minutes(cal), window.working, cal):
        raise SlaError(f"已超过退回时限（派遣后 {window.label()}）", reason="return_window_closed")


# For each action: the phases it ends, the phases it abandons (no on-time verdict) and the
# phases it (re)starts. A phase restarted gets a new round with its notices unfired.
_ALL = PHASES
FLOW: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "report": ((), (), ("accept",)),
    "accept": (("accept",), (), ("dispatch",)),
    "reject": (_ALL, (), ()),
    "cancel": (_ALL, (), ()),
    "merge": (_ALL, (), ()),
    "self_handle": (_ALL, (), ("verify",)),
    "dispatch": (("dispatch",), (), ("sign", "handle")),
    "redispatch": ((), ("sign",), ("sign",)),
    "sign": (("sign",), (), ()),
    "return": ((), ("sign", "handle"), ("dispatch",)),
    "handle": (("sign", "handle"), (), ("verify",)),
    "verify_pass": (("verify",), (), ()),
    "verify_fail": (("verify",), (), ("handle",)),
    "reopen": ((), (), ("sign", "handle")),
}


@dataclass
class Update:
    """What an action changes in a case's SLA state."""

    clocks: dict[str, Clock]
    flags: dict[str, bool] = field(default_factory=dict)
    handle_wm: float = 0.0  # working minutes of handling to add to the case's total


def on_action(action: str, clocks: Mapping[str, Clock], *, now: datetime,
              limits: Mapping[str, Limit], profile: Profile | None, cal: WorkCalendar,
              extension_until: datetime | None = None, rating: str | None = None,
              flags: Mapping[str, bool] | None = None) -> Update:
    """The case's clocks and indicator flags after an action taken at `now` (`flags`: the ones
    the case has, for facts that depend on what came before)."""
    update = Update(clocks=dict(clocks))
    current = update.clocks
    if action == "suspend":
        for phase, clock in current.items():
            if clock.running and clock.paused_at is None:
                current[phase] = replace(clock, paused_at=now)
    elif action == "resume":
        for phase, clock in current.items():
            if clock.running and clock.paused_at is not None:
                spent = _spent(clock, now, cal)
                moved = _move(clock, spent, cal, base=True)
                current[phase] = replace(moved, paused_at=None, suspended_wm=clock.suspended_wm
                                         + cal.working_minutes(clock.paused_at, now))
    elif action == "approve_extension" and extension_until is not None and "handle" in current:
        clock = current["handle"]
        extra = (cal.working_minutes(clock.deadline, extension_until) if clock.limit.working
                 else (extension_until - clock.deadline).total_seconds() / 60)
        if extra > 0:
            current["handle"] = _move(clock, extra, cal, base=False)
        update.flags["extended"] = True

    ends, drops, starts = FLOW.get(action, ((), (), ()))
    for phase in ends:
        clock = current.get(phase)
        if clock is not None and clock.running:
            current[phase] = replace(clock, ended_at=now, on_time=now <= clock.deadline)
            if phase == "handle":
                update.handle_wm = max(0.0, cal.working_minutes(clock.started_at, now)
                                       - clock.suspended_wm)
    for phase in drops:
        current.pop(phase, None)
    if profile is not None:
        for phase in starts:
            if phase in limits:
                previous = clocks.get(phase)
                current[phase] = start_clock(phase, limits[phase], start=now, profile=profile,
                                             cal=cal, round_=previous.round + 1 if previous else 1)
            else:
                current.pop(phase, None)
    update.flags.update(_flags(action, current, rating, flags or {}))
    return update


def _spent(clock: Clock, now: datetime, cal: WorkCalendar) -> float:
    if clock.limit.working:
        return cal.working_minutes(clock.paused_at, now)
    return (now - clock.paused_at).total_seconds() / 60


def _on_time(clocks: Mapping[str, Clock], phase: str) -> bool:
    """An untimed phase is on time; a timed one by its verdict."""
    clock = clocks.get(phase)
    return clock is None or bool(clock.on_time)


def _flags(action: str, clocks: Mapping[str, Clock], rating: str | None,
           before: Mapping[str, bool]) -> dict[str, bool]:
    """The per-case flags the indicators of DESIGN §6 sum (set when the fact happens).
    `dissatisfied` stays once set (a later, better evaluation does not undo it); `redone`: the
    case was reopened after a 不满意 — with `closed` again, a 不满意 reopened and resolved."""
    if action == "accept":
        return {"accepted": True}
    if action == "dispatch":
        return {"dispatched": True, "ontime_dispatch": _on_time(clocks, "dispatch")}
    if action == "sign":
        return {"ontime_sign": _on_time(clocks, "sign")}
    if action == "return":
        return {"returned": True}
    if action == "handle":
        return {"due": True, "handled": True, "ontime_handle": _on_time(clocks, "handle")}
    if action == "self_handle":
        return {"due": True, "handled": True, "ontime_handle": True, "self_handled": True}
    if action == "verify_pass":
        return {"closed": True,
                "ontime_close": _on_time(clocks, "handle") and _on_time(clocks, "verify")}
    if action == "verify_fail":
        return {"reworked": True}
    if action == "reopen":
        return {"closed": False, "ontime_close": False, "handled": False, "reopened": True,
                **({"redone": True} if before.get("dissatisfied") else {})}
    if action == "evaluate":
        return {"evaluated": True, "satisfied": rating in ("satisfied", "basically_satisfied"),
                **({"dissatisfied": True} if rating == "dissatisfied" else {})}
    return {}


@dataclass(frozen=True)
class Notice:
    phase: str
    key: str  # "warning", "overdue", "escalated:1", "escalated:2"
    type: str  # the event type: sla.warning / sla.overdue / sla.escalated
    level: int  # escalation level it raises the case to (0 for warning/overdue)
    due_at: datetime
    round: int


def fire(clocks: Mapping[str, Clock], now: datetime) -> tuple[dict[str, Clock], list[Notice]]:
    """The notices due by `now` on running, unpaused clocks, each marked fired on its clock."""
    after = dict(clocks)
    notices = []
    for phase, clock in clocks.items():
        if not clock.running or clock.paused_at is not None:
            continue
        due = [p for p in clock.pending() if p[3] <= now]
        if due:
            notices += [Notice(phase, key, kind, level, when, clock.round)
                        for key, kind, level, when in due]
            after[phase] = replace(clock, fired=(*clock.fired, *(p[0] for p in due)))
    notices.sort(key=lambda n: (n.due_at, PHASES.index(n.phase)))
    return after, notices


def notice_flags(notices: list[Notice]) -> dict[str, bool]:
    """A handle phase gone overdue makes the case due (应处置/应结案) and overdue (超期)."""
    if any(n.phase == "handle" and n.key == "overdue" for n in notices):
        return {"due": True, "overdue": True}
    return {}


def summary(clocks: Mapping[str, Clock], *, resume_at: datetime | None = None) -> dict[str, Any]:
    """What the case stores beside its clocks for indexed queries: the earliest running
    deadline and warning (the board's order and light), running phases, the next check."""
    running = [c for c in clocks.values() if c.running and c.paused_at is None]
    pending = [p[3] for c in running for p in c.pending()]
    if resume_at is not None:
        pending.append(resume_at)
    return {
        "due_at": min((c.deadline for c in running), default=None),
        "warn_at": min((c.warn_at for c in running), default=None),
        "phases": sorted((c.phase for c in running), key=PHASES.index),
        "paused": any(c.running and c.paused_at is not None for c in clocks.values()),
        "next_check_at": min(pending, default=None),
    }


def light_at(due_at: datetime | None, warn_at: datetime | None, now: datetime) -> str | None:
    """The case's light: the worst of its running phases (None when no clock runs)."""
    if due_at is None:
        return None
    return "red" if now >= due_at else "yellow" if warn_at is not None and now >= warn_at \
        else "green"
