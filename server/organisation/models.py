"""The organisation's departments: who handles dispatched cases (城管局, 住建局 …)."""

from __future__ import annotations

from mongoengine import BooleanField, Document, ListField, StringField


class Department(Document):
    """A department that handles dispatched cases (城管局, 住建局 …)."""

    code = StringField(primary_key=True, regex=r"^[0-9a-z][0-9a-z-]{1,40}$")
    name = StringField(required=True, max_length=100)
    region = StringField(required=True)  # the county it belongs to
    parent = StringField()
    domain = StringField()  # 城管, 市场监管, 生态环境 …
    duty_officials = ListField(StringField())  # user ids of the department's heads on duty
    active = BooleanField(default=True)

    meta = {"collection": "departments", "indexes": ["region", "domain"]}
