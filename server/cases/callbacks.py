"""回访 (callbacks, issue 19): a 不满意 evaluation opens a task for the supervisors of the
case's region — call the reporter back within CALLBACK_WORKING_DAYS working days (the county's
calendar). The case service opens it; `server/supervision/callbacks.py` lists and closes it."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from server.cases.models import Callback, Case
from server.catalog.calendars import calendar_for


def open_for(case: Case, *, comment: str | None, now: datetime) -> Callback:
    """The task a 不满意 opens (called by the case service right after the evaluation)."""
    days = current_app.config["CALLBACK_WORKING_DAYS"]
    return Callback(case=case.id, case_code=case.code, category=case.category,
                    region_path=list(case.region_path), scope=list(case.region_path),
                    comment=comment, due_at=calendar_for(case.region_path[0]).add(now, days, "wd"),
                    created_at=now).save()
