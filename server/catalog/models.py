"""The category catalogue: 数字城管 大类/小类 and resident 诉求 types."""

from __future__ import annotations

from mongoengine import BooleanField, Document, IntField, StringField


class Category(Document):
    code = StringField(primary_key=True, regex=r"^[0-9A-Za-z]{2,12}$")
    name = StringField(required=True, max_length=100)
    parent = StringField()  # the 大类 of a 小类
    level = IntField(required=True, choices=(1, 2))
    kind = StringField(choices=("event", "request"), default="event")  # 事件 / 诉求
    domain = StringField()
    default_department = StringField()
    self_handle_allowed = BooleanField(default=False)
    active = BooleanField(default=True)

    meta = {"collection": "categories", "indexes": ["parent"]}
