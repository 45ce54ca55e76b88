"""Reminding residents to evaluate (评价提醒): a closed case its reporter has not rated, some
days after closing and while the evaluation window is still open, gets one reminder — written
into the case history (全程留痕) and sent to the reporter by the notification rules."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from server.cases import history
from server.cases.models import Case
from server.cases.workflow import policy
from server.extensions.queries import prefix_range
from server.timeutil import aware, now_utc
from workflows.case_machine import Policy
from workflows.history import SYSTEM, entry

log = logging.getLogger(__name__)


def remind_evaluations(*, now: datetime | None = None) -> int:
    """Remind every reporter due a reminder by `now`; return how many were reminded."""
    now = now or now_utc()
    rules = policy()
    after = timedelta(days=current_app.config["EVALUATION_REMINDER_DAYS"])
    # Closed long enough ago to remind, and still inside the machine's evaluation window.
    due = Case._get_collection().find(
        {"status": "closed", "evaluation": None, "evaluation_reminded_at": None,
         "reporter": prefix_range("user:"),
         "closed_at": {"$lte": now - after, "$gt": now - rules.evaluation_window}},
        projection={"_id": 1, "version": 1, "status": 1, "closed_at": 1})
    reminded = 0
    for raw in due:
        try:
            reminded += _remind(raw, rules, now)
        except Exception:  # one case must not stop the others' reminders
            log.exception("evaluation reminder failed on case %s", raw["_id"])
    if reminded:
        log.info("evaluation reminders sent: %d", reminded)
    return reminded


def _remind(raw: dict, rules: Policy, now: datetime) -> bool:
    until = rules.evaluation_until(aware(raw["closed_at"]))
    reminder = entry(seq=raw["version"] + 1, action="evaluation.reminder", before=raw["status"],
                     after=raw["status"], actor=SYSTEM, at=now,
                     note="诉求已办结，请在评价期限内对办理结果进行评价",
                     payload={"until": until.replace(tzinfo=None)})
    return history.append(raw["_id"], raw["version"], [reminder], now=now,
                          set_={"evaluation_reminded_at": now},
                          where={"evaluation_reminded_at": None})
