"""The SLA sweep (DESIGN §5): find the cases whose `next_sla_check_at` has passed (an indexed
range query, never a scan), resume the suspensions that are over, and record each due notice
— yellow card, red card, escalation — exactly once in the case's history.

Each case is written with one conditional update on its version, so two sweeps racing over
the same case (two workers, a re-run) give each notice once: the loser's update matches
nothing and the next run finds nothing due.

Each case is isolated (Netflix Dispatch's `case/scheduled.py`): one that cannot be processed
is logged, counted and its next look moved `RETRY_FAILED_AFTER` ahead, so it neither stops
the pass nor comes first again on the next one while the others wait behind it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from server.cases import history, service, timers
from server.cases.models import Case
from server.errors import GridhubError
from server.timeutil import aware, moment_label
from workflows import sla, sla_policy
from workflows.case_table import STATE_LABELS, State
from workflows.history import SYSTEM, entry

log = logging.getLogger(__name__)
LEVEL_NAMES = {1: "街镇", 2: "县级"}
RETRY_FAILED_AFTER = timedelta(minutes=30)


@dataclass
class SweepResult:
    read: int = 0  # documents the query returned
    notices: int = 0
    resumed: int = 0
    conflicts: int = 0  # cases another writer changed meanwhile (the next run looks again)
    failed: int = 0  # cases that could not be processed (logged; looked at again later)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def sweep(*, now: datetime | None = None, batch_size: int = 500) -> SweepResult:
    """One pass over the cases due for a look by `now`."""
    now = now or service.now_utc()
    result = SweepResult()
    due = Case.objects(next_sla_check_at__lte=now).exclude("history").order_by(
        "next_sla_check_at").batch_size(batch_size)
    for case in due:
        result.read += 1
        try:
            _tick(case, now, result)
        except Exception:  # one bad case must not stop the others' cards and escalations
            result.failed += 1
            log.exception("SLA sweep failed on case %s (%s); next look in %s",
                          case.code, case.id, RETRY_FAILED_AFTER)
            Case.objects(id=case.id).update_one(set__next_sla_check_at=now + RETRY_FAILED_AFTER)
    if result.notices or result.resumed or result.failed:
        log.info("SLA sweep: %s", result.as_dict())
    return result


def _tick(case: Case, now: datetime, result: SweepResult) -> None:
    until = aware((case.suspension or {}).get("until"))
    if case.status == State.SUSPENDED and until is not None and until <= now:
        try:
            case = service.resume_due(case, now=now)
        except GridhubError as exc:
            result.conflicts += 1
            log.warning("SLA sweep could not resume %s: %s", case.code, exc)
            return
        result.resumed += 1
    clocks, notices = sla.fire(timers.clocks_of(case), now)
    resume_at = until if case.status == State.SUSPENDED else None
    fields = timers.stored(clocks, resume_at=resume_at)
    if not notices:  # only the next look moves: no history, no version
        written = Case._get_collection().update_one(
            {"_id": case.id, "version": case.version}, {"$set": fields}).matched_count > 0
    else:
        entries = [_entry(case, notice, clocks[notice.phase], seq=case.version + i + 1, now=now)
                   for i, notice in enumerate(notices)]
        level = max([case.escalation_level or 0, *(n.level for n in notices)])
        fields.update({"escalation_level": level,
                       **{f"flags.{k}": v for k, v in sla.notice_flags(notices).items()}})
        written = history.append(case.id, case.version, entries, now=now, set_=fields)
    if written:
        result.notices += len(notices)
    else:
        result.conflicts += 1


def _entry(case: Case, notice: sla.Notice, clock: sla.Clock, *, seq: int,
           now: datetime) -> dict[str, Any]:
    phase = sla_policy.PHASE_LABELS[notice.phase]
    deadline = moment_label(clock.deadline)
    if notice.key == "warning":
        note = f"{phase}阶段将于{deadline}到期（黄牌预警）"
    elif notice.key == "overdue":
        note = f"{phase}阶段已于{deadline}超期（红牌）"
    else:
        note = f"{phase}阶段超期未办结，已升级至{LEVEL_NAMES[notice.level]}督办"
    return entry(seq=seq, action=notice.type, before=case.status, after=case.status,
                 actor=SYSTEM, at=now, note=note,
                 payload={"phase": notice.phase, "key": notice.key, "level": notice.level,
                          "round": notice.round, "due_at": notice.due_at,
                          "deadline": clock.deadline,
                          "status_label": STATE_LABELS[State(case.status)]})
