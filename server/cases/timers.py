"""A case's SLA clocks (DESIGN §5): computed when a phase starts, stored on the case, moved by
suspension and extension, read back with their light and remaining time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from server.catalog import sla_profiles
from server.catalog.calendars import calendar_for
from server.errors import Conflict, Unprocessable
from server.timeutil import aware, moment_label
from workflows import sla, sla_policy
from workflows.calendar import WorkCalendar

MAX_SUSPENSION = timedelta(days=366)


def _context(case: Any) -> tuple[sla_policy.Profile | None, WorkCalendar]:
    return sla_profiles.profile(case.sla_profile), calendar_for(case.region_path[0])


def clocks_of(case: Any) -> dict[str, sla.Clock]:
    return {phase: sla.Clock.from_doc(doc) for phase, doc in (case.deadlines or {}).items()}


def stored(clocks: dict[str, sla.Clock], *, resume_at: datetime | None = None) -> dict[str, Any]:
    """The fields a case keeps for its clocks: the clocks, an indexed summary, the next check."""
    summary = sla.summary(clocks, resume_at=resume_at)
    return {"deadlines": {phase: clock.to_doc() for phase, clock in clocks.items()},
            "sla": {k: summary[k] for k in ("due_at", "warn_at", "phases", "paused")},
            "next_sla_check_at": summary["next_check_at"]}


def on_report(*, region_path: list[str], category: str, priority: str,
              now: datetime) -> dict[str, Any]:
    """The profile a new case runs on and its first clock (accepting)."""
    code = sla_profiles.code_for(region_path)
    profile = sla_profiles.profile(code)
    limits = profile.limits_for(category, priority) if profile else {}
    update = sla.on_action("report", {}, now=now, limits=limits, profile=profile,
                           cal=calendar_for(region_path[0]))
    return {"sla_profile": code, **stored(update.clocks)}


def _refuse(exc: sla_policy.SlaError) -> Unprocessable:
    fields = {exc.field: [exc.message]} if exc.field else {}
    return Unprocessable(exc.message, reason=exc.reason, fields=fields)


def resolve(case: Any, action: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What the SLA rules say about an action, once the machine allowed it: a return past its
    window is refused, and a time given in working days becomes a moment (`until`)."""
    profile, cal = _context(case)
    if action == "return" and profile is not None:
        try:
            sla.check_return(profile, dispatched_at=aware(case.dispatched_at), now=now, cal=cal)
        except sla_policy.SlaError as exc:
            raise Conflict(exc.message, reason=exc.reason) from exc
    if action == "request_extension":
        handle = clocks_of(case).get("handle")
        if handle is None or not handle.running or profile is None:
            raise Conflict("该案件没有处置时限，无需延期", reason="no_deadline")
        try:
            until = sla.extension_deadline(handle, profile=profile, cal=cal, now=now,
                                           until=payload.get("until"),
                                           duration_wd=payload.get("duration_wd"))
        except sla_policy.SlaError as exc:
            raise _refuse(exc) from exc
        return {"until": until}
    if action == "suspend" and (payload.get("until") or payload.get("duration_wd")):
        until = payload.get("until") or cal.add(now, payload["duration_wd"], "wd")
        if until <= now or until - now > MAX_SUSPENSION:
            raise Unprocessable("挂起截止时间须晚于现在且不超过一年", reason="invalid_until",
                                fields={"until": ["须晚于现在且不超过一年"]})
        return {"until": until}
    return {}


def after(case: Any, action: str, payload: dict[str, Any], *, to_state: str,
          now: datetime) -> tuple[dict[str, Any], dict[str, float]]:
    """The fields to set and increment for the case's clocks and indicator flags."""
    profile, cal = _context(case)
    category = payload.get("category") or case.category
    priority = payload.get("priority") or case.priority
    limits = profile.limits_for(category, priority) if profile else {}
    extension_until = None
    if action == "approve_extension":
        extension_until = aware((case.extension or {}).get("until"))
    update = sla.on_action(action, clocks_of(case), now=now, limits=limits, profile=profile,
                           cal=cal, extension_until=extension_until, rating=payload.get("rating"),
                           flags=case.flags)
    resume_at = payload.get("until") if to_state == "suspended" else None
    fields = stored(update.clocks, resume_at=resume_at)
    fields.update({f"flags.{name}": value for name, value in update.flags.items()})
    inc = {"handle_wm": round(update.handle_wm, 1)} if update.handle_wm else {}
    return fields, inc


def describe(case: Any, now: datetime) -> dict[str, Any]:
    """Per phase: limit, deadline and points, light and remaining minutes on its clock."""
    clocks = clocks_of(case)
    if not clocks:
        return {}
    cal = calendar_for(case.region_path[0])
    return {phase: {
        "phase_label": sla_policy.PHASE_LABELS[phase],
        "limit": {"amount": clock.limit.amount, "unit": clock.limit.unit,
                  "label": clock.limit.label()},
        "clock": "working" if clock.limit.working else "natural",
        "started_at": clock.started_at, "deadline": clock.deadline, "warn_at": clock.warn_at,
        "escalate_at": clock.escalate_at, "escalate_county_at": clock.escalate_county_at,
        "paused": clock.paused_at is not None, "ended_at": clock.ended_at,
        "on_time": clock.on_time, "round": clock.round,
        "light": clock.light(now), "remaining_minutes": clock.remaining_minutes(now, cal),
        "time_left": time_left(clock, now, cal),
    } for phase, clock in sorted(clocks.items(), key=lambda item: sla_policy.PHASES.index(item[0]))}


def time_left(clock: sla.Clock, now: datetime, cal: WorkCalendar) -> str | None:
    """What a person reads of a running clock: "剩余 1.5 个工作日（截止 12月03日 10:00）"."""
    if not clock.running:
        return None
    if clock.paused_at is not None:
        return "计时暂停"
    left = sla.remaining_text(clock.limit, clock.remaining_minutes(now, cal), cal.day_minutes,
                              overdue=now >= clock.deadline)
    return f"{left}（截止 {moment_label(clock.deadline)}）"


def case_light(case: Any, now: datetime) -> str | None:
    summary = case.sla or {}
    if summary.get("paused"):
        return "paused"
    return sla.light_at(aware(summary.get("due_at")), aware(summary.get("warn_at")), now)
