"""The category catalogue: 数字城管 大类/小类 (CJ/T 214 style) and resident 诉求 types."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    StringField,
)

from workflows.case_table import PRIORITIES

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


class AttributeValue(EmbeddedDocument):
    key = StringField(required=True, max_length=40)
    name = StringField(required=True, max_length=100)


class Attribute(EmbeddedDocument):
    """An extra question a report of this category answers, in Open311's vocabulary."""

    code = StringField(required=True, regex=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
    datatype = StringField(required=True, choices=DATATYPES)
    required = BooleanField(default=False)
    order = IntField(default=0)
    description = StringField(required=True, max_length=200)
    values = EmbeddedDocumentListField(AttributeValue)


class Category(Document):
    code = StringField(primary_key=True, regex=r"^[0-9A-Za-z]{2,12}$")
    name = StringField(required=True, max_length=100)
    parent = StringField()  # the 大类 of a 小类
    level = IntField(required=True, choices=(1, 2))
    kind = StringField(choices=("event", "request"), default="event")  # 事件 / 诉求
    domain = StringField()
    default_department = StringField()
    default_priority = StringField(choices=PRIORITIES, default="normal")
    allows_self_handle = BooleanField(default=False)
    duplicate_radius_m = IntField(default=50, min_value=0, max_value=5000)
    duplicate_window_h = IntField(default=72, min_value=0, max_value=24 * 90)
    attributes = EmbeddedDocumentListField(Attribute)
    keywords = ListField(StringField())
    active = BooleanField(default=True)
    # Reports of this category may be read by anyone through Open311 (in a county that opens its
    # reads): street-level problems, never a resident's personal 诉求. An admin decides.
    public = BooleanField(default=False)

    meta = {"collection": "categories", "indexes": ["parent"]}


def build_attributes(raw: list[dict]) -> list[Attribute]:
    """Attribute documents from plain dicts (API bodies, seed data)."""
    return [Attribute(**{**a, "values": [AttributeValue(**v) for v in a.get("values", [])]})
            for a in raw]


REPLY_FIELDS = ("result", "reason", "note")


class ReplyTemplate(Document):
    """A 常用语 (issue 19): a county's ready text for a transition's result, reason or note,
    for one 大类/小类 (a category-code prefix) or, with none, for every category."""

    county = StringField(required=True, regex=r"^\d{6}$")
    category = StringField(default="", regex=r"^(\d{2}){0,2}$")  # "" every, "01" a 大类, "0102"
    field = StringField(required=True, choices=REPLY_FIELDS)
    text = StringField(required=True, max_length=200)
    order = IntField(default=0)

    meta = {"collection": "reply_templates", "indexes": [("county", "field", "category")]}
