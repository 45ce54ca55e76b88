"""Webhook subscriptions of sister apps (DESIGN §7, §8): events they want, where to post them,
and the secret that signs each delivery. Deliveries themselves are `Notification`s on the
`webhook` channel (recipient = the subscription id) — their status, attempts and last error
are the delivery log."""

from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, Document, ListField, StringField

from server.timeutil import now_utc


class WebhookSubscription(Document):
    name = StringField(required=True, max_length=100)  # the sister app, as people call it
    client = StringField()  # the registered client that owns it (identity issue), if any
    url = StringField(required=True, max_length=2048)
    events = ListField(StringField(), required=True)  # event types, or ["*"]
    region = StringField()  # only cases in this region (a code on the case's region path)
    secret = StringField(required=True)  # HMAC key; the server must sign with it, so not hashed
    active = BooleanField(default=True)
    created_by = StringField()
    created_at = DateTimeField(required=True, default=now_utc)

    meta = {"collection": "webhook_subscriptions", "indexes": [("active", "events")]}

    def wants(self, event_type: str, region_path: list[str]) -> bool:
        return (("*" in self.events or event_type in self.events)
                and (not self.region or self.region in region_path))
