"""The app hub (爱山东-style): a county's branch hall (分厅) and its service items (掌上查/掌上办)."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    StringField,
)

from server.timeutil import now_utc

KINDS = {"query": "查询", "apply": "办理", "booking": "预约", "payment": "缴费", "report": "反映"}
AUDIENCES = {"person": "个人", "legal_person": "法人"}
ENTRY_TYPES = ("miniapp", "client", "builtin")
BUILTINS = {"report": "我要反映"}  # built-in entries the mini-app implements itself



class Hall(Document):
    """A county's branch hall in the hub."""

    region = StringField(primary_key=True, regex=r"^\d{6}$")  # the county's code
    name = StringField(required=True, max_length=100)
    description = StringField(max_length=500)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=now_utc)

    meta = {"collection": "hub_halls"}


class Entry(EmbeddedDocument):
    """Where an item leads: a mini-app path, a sister app's URL, or a built-in page."""

    type = StringField(required=True, choices=ENTRY_TYPES)
    path = StringField(max_length=300)  # miniapp: a path of the mini-app
    url = StringField(max_length=2048)  # client: the sister app's page
    client = StringField()  # client: the registered sister app's id
    builtin = StringField(choices=tuple(BUILTINS))


class ServiceItem(Document):
    hall = StringField(required=True)  # the hall's region code
    code = StringField(required=True, regex=r"^[a-z0-9][a-z0-9-]{1,39}$")
    name = StringField(required=True, max_length=60)
    kind = StringField(required=True, choices=tuple(KINDS))
    provider = StringField(max_length=100)  # the providing department's name
    department = StringField()  # its code, when it is one of ours
    audiences = ListField(StringField(choices=tuple(AUDIENCES)))
    entry = EmbeddedDocumentField(Entry, required=True)
    auth_level = IntField(default=0, min_value=0, max_value=3)  # 0 anonymous … 3 face / ID card
    online = BooleanField(default=True)
    tags = ListField(StringField(max_length=20))
    order = IntField(default=100)
    created_at = DateTimeField(default=now_utc)
    updated_at = DateTimeField(default=now_utc)

    meta = {"collection": "hub_items",
            "indexes": [{"fields": ["hall", "code"], "unique": True}, ("hall", "online", "order")]}


class Favourite(Document):
    user = StringField(required=True)  # principal key
    item = StringField(required=True)
    at = DateTimeField(default=now_utc)

    meta = {"collection": "hub_favourites",
            "indexes": [{"fields": ["user", "item"], "unique": True}, ("user", "-at")]}


class RecentUse(Document):
    user = StringField(required=True)
    item = StringField(required=True)
    at = DateTimeField(default=now_utc)

    meta = {"collection": "hub_recent",
            "indexes": [{"fields": ["user", "item"], "unique": True}, ("user", "-at")]}


class UsageDay(Document):
    """How often an item was opened on a day (Asia/Shanghai) — the hub's own indicator."""

    item = StringField(required=True)
    hall = StringField(required=True)
    day = StringField(required=True)  # YYYY-MM-DD
    count = IntField(default=0)

    meta = {"collection": "hub_usage",
            "indexes": [{"fields": ["item", "day"], "unique": True}, ("hall", "day")]}
