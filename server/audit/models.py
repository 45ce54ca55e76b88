"""The audit trail (全程留痕): every write and every login attempt, append-only."""

from __future__ import annotations

from mongoengine import DateTimeField, DictField, Document, IntField, StringField

from server.timeutil import now_utc


class AppendOnly(Exception):
    """Audit entries are never changed or removed through the application."""


class AuditEntry(Document):
    at = DateTimeField(required=True, default=now_utc)
    actor = StringField()  # "user:<id>", "client:<id>", or None for an anonymous caller
    client = StringField()  # the sister app acting (client principals)
    county = StringField()  # the acting staff member's county: what a county's admin may read
    ip = StringField()
    user_agent = StringField(max_length=300)
    action = StringField(required=True)  # "auth.login", "POST /api/v1/cases/{case_id}/transitions" …
    target = StringField()  # "case:<id>", "user:<name>" …
    result = StringField(required=True)  # "success" or "failure"
    status = IntField()  # the HTTP status answered
    detail = DictField()  # reason codes, never secrets

    meta = {"collection": "audit", "indexes": ["-at", ("county", "-at"), ("actor", "-at"),
                                               ("action", "-at"), ("target", "-at")]}

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("audit entries cannot be changed")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit entries cannot be deleted")

    def update(self, *args, **kwargs):
        raise AppendOnly("audit entries cannot be changed")

    def modify(self, *args, **kwargs):
        raise AppendOnly("audit entries cannot be changed")
