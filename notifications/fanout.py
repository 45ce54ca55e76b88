"""Fan-out (DESIGN §8): one history entry → notification documents for its recipients.

Keyed by (case, seq): each document is inserted only if (event key, recipient, channel) is
new, so a redelivered or re-published event creates nothing. Inbox notifications are
delivered by being written; push and SMS ones are left `pending` for `notifications.delivery`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from notifications import quiet, recipients, rules
from notifications.channels.registry import enabled as enabled_channels
from server.auth.models import User
from server.cases.models import Case
from server.catalog import service as catalog
from server.inbox import devices
from server.inbox.models import Notification
from server.organisation import names
from server.timeutil import moment_label, now_utc
from server.webhooks import service as webhooks
from workflows.visibility import public_entry


def _deadline(case: Case, entry: dict[str, Any]) -> str | None:
    moment = (entry.get("payload") or {}).get("deadline")
    if moment is None:
        handle = (case.deadlines or {}).get("handle") or {}
        moment = handle.get("deadline") if handle.get("ended_at") is None else None
    return moment_label(moment) if moment is not None else None


@dataclass
class Fanned:
    created: int = 0  # notification documents new with this run
    deliver: list[str] = field(default_factory=list)  # ids still to deliver (push, SMS …)


def _channels(event_type: str, audience: set[str], case: Case,
              reporter_facing: bool) -> list[tuple[str, str]]:
    """(recipient, channel) pairs: the inbox for everyone; push for those with a device when
    push is configured; SMS for urgent events to those with a phone; and the webhook
    subscriptions this event goes to (recipient: subscription id)."""
    pairs = [(recipient, "inbox") for recipient in audience]
    pairs += [(str(s.id), "webhook") for s in webhooks.subscribers(
        event_type=event_type, case=case, reporter_facing=reporter_facing)]
    if not audience:
        return sorted(pairs)
    enabled = enabled_channels()
    if "fcm" in enabled:
        pairs += [(recipient, "fcm") for recipient in devices.tokens_of(sorted(audience))]
    if event_type in rules.SMS and "sms" in enabled:
        pairs += [(str(u.id), "sms") for u in
                  User.objects(id__in=sorted(audience), phone_sealed__exists=True).only("id")]
    return sorted(pairs)


def _reporter_of(case: Case) -> str | None:
    kind, _, ident = (case.reporter or "").partition(":")
    return ident if kind == "user" and ident else None


def _step_values(case: Case, entry: dict[str, Any], texts: dict[str, Any]) -> dict[str, Any]:
    """What a step message to the reporter may say: written for them, nobody else's data."""
    payload = entry.get("payload") or {}
    values = {"code": case.code, "category": texts["category"], "deadline": texts["deadline"],
              "reason": payload.get("reason"), "result": payload.get("result")}
    if entry["action"] in ("dispatch", "redispatch"):
        values["department"] = names.department(payload.get("department") or case.department)
    if entry["action"] == "merge":
        primary = Case.objects(id=payload.get("primary")).only("code").first()
        values["primary_code"] = primary.code if primary else None
    return values


def _step_channels(people: set[str], case: Case) -> list[tuple[str, str]]:
    """The channels the reporter and followers chose (/me/preferences): the inbox, push where
    they have a device, SMS only for an urgent case and only when asked for."""
    if not people:
        return []
    enabled, pairs = enabled_channels(), []
    with_devices = devices.tokens_of(sorted(people)) if "fcm" in enabled else {}
    for user in User.objects(id__in=sorted(people), active=True).only(
            "id", "case_update_channels", "phone_sealed"):
        chosen, who = set(user.case_update_channels), str(user.id)
        if "inbox" in chosen:
            pairs.append((who, "inbox"))
        if "push" in chosen and who in with_devices:
            pairs.append((who, "fcm"))
        if "sms" in chosen and "sms" in enabled and case.priority == "urgent" and user.phone_sealed:
            pairs.append((who, "sms"))
    return pairs


def fan_out(case_id: str, seq: int, *, now: datetime | None = None) -> Fanned:
    """Create the notifications of one event; inbox ones are delivered by being written, the
    others are returned for delivery (also those a previous run created and left pending)."""
    case = Case.objects(id=ObjectId(case_id)).first()
    if case is None or not 0 < seq <= len(case.history):
        return Fanned()
    entry = case.history[seq - 1]
    event_type = entry["action"]
    audience = recipients.resolve(rules.audiences(event_type), case)
    actor = (entry.get("actor") or {}).get("key", "").partition(":")[2]
    audience.discard(actor)
    reporter = _reporter_of(case)
    # The reporter and the followers hear the step message — unless the event is work for them
    # (a grid worker who reported is also the one to verify it): then the work's message.
    followers = {key.partition(":")[2] for key in case.followers or () if key.startswith("user:")}
    stepped = ({reporter, *followers} - {None, actor} - audience) \
        if event_type in rules.REPORTER_STEPS else set()
    public = public_entry(entry)
    pairs = _channels(event_type, audience, case, reporter_facing=public is not None)
    pairs += _step_channels(stepped, case)
    if not pairs:
        return Fanned()
    category = catalog.find(code=case.category)
    texts = {"category": category.name if category else case.category, "code": case.code,
             "address": case.address, "deadline": _deadline(case, entry)}
    title, body = rules.text(event_type, **texts, note=entry.get("note"))
    values = _step_values(case, entry, texts) if stepped else {}
    steps = {who: rules.reporter_text(event_type, follower=who != reporter, **values)
             for who in stepped}
    photos = (entry.get("payload") or {}).get("attachments") or []
    # What leaves the platform (webhooks) carries only the note written for the reporter.
    _, outside_body = rules.text(event_type, **texts, note=public["note"] if public else None)
    now = now or now_utc()
    event_key = f"case:{case_id}:{seq}"
    urgent = event_type in rules.URGENT or case.priority == "urgent"
    held = quiet.holds(pairs, county=case.region_path[0], urgent=urgent, now=now)
    common = {"event_key": event_key, "case": case_id, "case_code": case.code,
              "seq": seq, "type": event_type, "title": title, "body": body,
              "urgent": urgent,
              "data": {"case_id": case_id, "seq": str(seq), "type": event_type,
                       "link": f"gridhub://cases/{case_id}"},
              "attempts": 0, "created_at": now}
    collection = Notification._get_collection()
    fanned = Fanned()
    # Residents (the reporter) read what leaves the back office, like a webhook does.
    outsiders = {str(u.id) for u in User.objects(id__in=sorted(audience), role="resident").only("id")} \
        if audience else set()
    for recipient, channel in pairs:
        key = {"event_key": event_key, "recipient": recipient, "channel": channel}
        state = {"status": "sent", "sent_at": now} if channel == "inbox" else \
            {"status": "pending", "next_attempt_at": now}
        if channel in quiet.HELD_CHANNELS and recipient in held:  # quiet hours: to the digest
            state = {"status": "held", "held_until": held[recipient]}
        if channel == "webhook" or recipient in outsiders:
            state["body"] = outside_body
        if recipient in steps and channel != "webhook":
            state["title"], state["body"] = steps[recipient]
            if photos and recipient == reporter:  # the after-photo: the reporter may open it
                state["data"] = {**common["data"], "photo": str(photos[0])}
        try:
            written = collection.update_one(key, {"$setOnInsert": {**common, **key, **state}},
                                            upsert=True)
            fanned.created += written.upserted_id is not None
        except DuplicateKeyError:  # a concurrent fan-out of the same event inserted it
            pass
    fanned.deliver = [str(raw["_id"]) for raw in collection.find(
        {"event_key": event_key, "status": "pending"}, projection={"_id": True})]
    return fanned
