"""Reminding residents to evaluate (评价提醒): a closed case its reporter has not rated, some
days after closing and while the evaluation window is still open, gets one reminder — written
into the case history (全程留痕) and sent to the reporter by the notification rules."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from server.cases import events
from server.cases.models import Case
from server.cases.service import now_utc
from server.extensions.queries import prefix_range

log = logging.getLogger(__name__)


def remind_evaluations(*, now: datetime | None = None) -> int:
    """Remind every reporter due a reminder by `now`; return how many were reminded."""
    now = now or now_utc()
    config = current_app.config
    window = timedelta(days=config["EVALUATION_WINDOW_DAYS"])
    after = timedelta(days=config["EVALUATION_REMINDER_DAYS"])
    collection = Case._get_collection()
    due = collection.find({"status": "closed", "evaluation": None, "evaluation_reminded_at": None,
                           "reporter": prefix_range("user:"),
                           "closed_at": {"$lte": now - after, "$gt": now - window}},
                          projection={"_id": 1, "version": 1, "status": 1, "closed_at": 1})
    reminded = 0
    for raw in due:
        deadline = (raw["closed_at"] + window).replace(tzinfo=None)
        entry = {"seq": raw["version"] + 1, "action": "evaluation.reminder", "from": raw["status"],
                 "to": raw["status"], "actor": {"key": "system", "name": "系统", "roles": ["system"]},
                 "note": "诉求已办结，请在评价期限内对办理结果进行评价", "payload": {"until": deadline},
                 "at": now}
        written = collection.update_one(
            {"_id": raw["_id"], "version": raw["version"], "evaluation_reminded_at": None},
            {"$set": {"evaluation_reminded_at": now, "updated_at": now}, "$inc": {"version": 1},
             "$push": {"history": entry}, **events.pending_fields(now)})
        if written.modified_count:
            reminded += 1
            events.publish(raw["_id"], [entry["seq"]])
    if reminded:
        log.info("evaluation reminders sent: %d", reminded)
    return reminded
