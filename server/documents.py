"""Every stored document class, in one list: `gridhub init-db` creates their indexes, and a
test checks that no document class is missing here."""

from __future__ import annotations

from mongoengine import Document

from server.audit.models import AuditEntry
from server.auth.models import (
    Client,
    LoginThrottle,
    RefreshToken,
    RevokedToken,
    SigningKey,
    UsedAssertion,
    User,
)
from server.cases.attachments import Attachment
from server.cases.models import Callback, Case, Counter
from server.catalog.calendars import RegionCalendar
from server.catalog.models import Category, ReplyTemplate
from server.catalog.sla_profiles import SlaProfile
from server.grids.models import Region
from server.hub.models import Favourite, Hall, RecentUse, ServiceItem, UsageDay
from server.inbox.models import Device, Notification
from server.organisation.models import Department
from server.patrols.models import CheckIn, Patrol, PatrolPoint, PointRules, Visit, WorkLog
from server.pii import PiiKey
from server.webhooks.models import WebhookSubscription

DOCUMENTS: tuple[type[Document], ...] = (
    Case, Counter, Attachment, User, SigningKey, LoginThrottle, RefreshToken, RevokedToken,
    Client, UsedAssertion, PiiKey, Region, Department, Category, SlaProfile, RegionCalendar,
    Hall, ServiceItem, Favourite, RecentUse, UsageDay, AuditEntry, WebhookSubscription,
    Notification, Device, Callback, ReplyTemplate, Patrol, PatrolPoint, CheckIn,
    WorkLog, Visit, PointRules,
)


def backfill_case_scope(batch: int = 500) -> int:
    """Give cases stored before `scope` existed their scope keys; return how many."""
    from pymongo import UpdateOne

    from server.cases.scope import scope_keys

    collection = Case._get_collection()
    done = 0
    while True:
        rows = list(collection.find({"scope": {"$exists": False}},
                                    {"region_path": 1, "department": 1, "reporter": 1}).limit(batch))
        if not rows:
            return done
        collection.bulk_write([UpdateOne({"_id": row["_id"]}, {"$set": {"scope": scope_keys(
            region_path=row.get("region_path") or [], department=row.get("department"),
            reporter=row.get("reporter") or "")}}) for row in rows], ordered=False)
        done += len(rows)


def backfill_dissatisfied_flags() -> int:
    """Give cases rated 不满意 before the flag existed `flags.dissatisfied`, and `flags.redone`
    where a reopen followed that evaluation (the indicators' 不满意重办解决); return how many."""
    collection = Case._get_collection()
    rows = collection.find({"flags.dissatisfied": {"$exists": False}, "history": {"$elemMatch": {
        "action": "evaluate", "payload.rating": "dissatisfied"}}},
        {"history.action": 1, "history.payload.rating": 1})
    done = 0
    for row in rows:
        actions = [(entry.get("action"), (entry.get("payload") or {}).get("rating"))
                   for entry in row.get("history") or []]
        first = actions.index(("evaluate", "dissatisfied"))
        flags = {"flags.dissatisfied": True}
        if any(action == "reopen" for action, _ in actions[first:]):
            flags["flags.redone"] = True
        collection.update_one({"_id": row["_id"]}, {"$set": flags})
        done += 1
    return done


def ensure_indexes() -> list[str]:
    """Create the indexes of every collection (each is otherwise made on first use); return
    the collection names."""
    names = []
    for document in DOCUMENTS:
        document.ensure_indexes()
        names.append(document._get_collection().name)
    return names
