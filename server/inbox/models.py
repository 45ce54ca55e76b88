"""Notifications (DESIGN §8): one document per (event, recipient, channel).

Delivery state lives here, apart from the workflow: a failed push never touches the case.
Status moves `pending → sending → sent | failed` by compare-and-set. A non-urgent alert to staff
outside their office hours (quiet hours) is `held` until `held_until`, then gathered with the
others of its recipient into one digest (`held → digesting → digested`, `notifications.digests`);
the digest itself is a notification of type `digest` that is delivered like any other.
"""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)

from server.timeutil import now_utc

CHANNELS = ("inbox", "fcm", "sms", "webhook")
DELIVERED = ("fcm", "sms", "webhook")  # channels with a delivery step (the inbox has none)
STATUSES = ("pending", "sending", "sent", "failed", "held", "digesting", "digested")


class Notification(Document):
    event_key = StringField(required=True)  # "case:<id>:<seq>"
    recipient = StringField(required=True)  # a user id
    channel = StringField(required=True, choices=CHANNELS)
    case = StringField()  # none for a digest
    case_code = StringField()
    seq = IntField()
    type = StringField(required=True)  # the history action (dispatch, sla.overdue …) or digest
    title = StringField(required=True)
    body = StringField(required=True)
    data = DictField()  # deep link and ids for the app
    urgent = BooleanField(default=False)
    status = StringField(required=True, choices=STATUSES, default="pending")
    attempts = IntField(default=0)
    last_error = StringField()
    next_attempt_at = DateTimeField()  # pending: not before this
    claim = StringField()  # sending: the claim token of the worker holding it
    claimed_until = DateTimeField()  # sending: the claim's lease
    delivered_to = ListField(StringField())  # push: device ids already reached
    held_until = DateTimeField()  # held: released into a digest at this moment (quiet hours)
    digest = StringField()  # digesting/digested: the event key of the digest that carries it
    items = ListField(ObjectIdField())  # a digest: the held notifications it gathers
    read_at = DateTimeField()
    sent_at = DateTimeField()
    failed_at = DateTimeField()
    created_at = DateTimeField(required=True, default=now_utc)

    meta = {
        "collection": "notifications",
        "indexes": [
            {"fields": ["event_key", "recipient", "channel"], "unique": True},
            ("recipient", "channel", "-created_at"),
            ("recipient", "channel", "read_at"),
            ("status", "next_attempt_at"),
            ("status", "claimed_until"),
            ("status", "channel", "-created_at"),
            ("status", "held_until"),
            {"fields": ["digest"], "sparse": True},
        ],
    }


PLATFORMS = ("android", "ios", "harmony", "web")


class Device(Document):
    """A phone (or browser) registered for push: one FCM registration token, one owner.

    A token belongs to the last user who registered it (a shared phone changes hands)."""

    user = StringField(required=True)
    platform = StringField(required=True, choices=PLATFORMS)
    token = StringField(required=True, unique=True, max_length=4096)
    created_at = DateTimeField(required=True, default=now_utc)
    last_seen_at = DateTimeField(required=True, default=now_utc)

    meta = {"collection": "devices", "indexes": [("user", "-last_seen_at")]}
