"""Open311 beyond the core (issue 19): FixMyStreet's `servicerequestupdates` — what happened to
requests since a time, one update per public step — and the `notes` a request carries with
`extensions=true`. Each step as the reporter reads it (`workflows.visibility.public_entry`), in
plain Chinese (`server/cases/timeline.py: public_text`); anonymous readers get the step's name
only, never a reason or a result written for the reporter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mongoengine import Q
from werkzeug.datastructures import MultiDict

from server.cases.models import Case
from server.open311.service import Open311Error, iso_time, notes, readable_for, reader_of, w3c_moment
from server.timeutil import now_utc

MAX_UPDATES = 1000
MAX_WINDOW = timedelta(days=31)


def request_updates(args: MultiDict) -> list[dict[str, Any]]:
    """Updates to the readable requests between start_date and end_date (at most 31 days,
    MAX_UPDATES updates), oldest first."""
    reader = reader_of(args)
    if not args.get("start_date"):
        raise Open311Error(400, "须提供 start_date（W3C 日期时间）")
    start = w3c_moment(args["start_date"], "start_date")
    end = w3c_moment(args["end_date"], "end_date") if args.get("end_date") else now_utc()
    if end < start or end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date 与 end_date 须先后有序且相隔不超过 31 天")
    cases = Case.objects(readable_for(reader) & Q(updated_at__gte=start)).order_by("updated_at", "id")
    updates = []
    for case in cases.limit(MAX_UPDATES):
        for note in notes(case, anonymous=reader is None):
            if not start <= note["at"] <= end:
                continue
            updates.append({"update_id": note["update_id"], "service_request_id": case.code,
                            "status": note["status"], "updated_datetime": iso_time(note["at"]),
                            "description": note["description"],
                            "media_url": None if reader is None else case.media_url})
    updates.sort(key=lambda u: (u["updated_datetime"], u["update_id"]))
    return updates[:MAX_UPDATES]
