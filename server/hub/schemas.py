"""The app hub's request and answer schemas."""

from __future__ import annotations

from marshmallow import fields, post_dump, validate

from server.extensions.schema import LocalDateTime, Schema
from server.hub.models import AUDIENCES, BUILTINS, ENTRY_TYPES, KINDS

_REGION = validate.Regexp(r"^\d{6}$")


class EntrySchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(ENTRY_TYPES))
    path = fields.String(validate=validate.Regexp(r"^/[\w\-./?=&%#]{0,299}$"),
                         metadata={"description": "miniapp: a page of the mini-app"})
    url = fields.String(validate=[validate.URL(schemes={"https", "http"}), validate.Length(max=2048)],
                        metadata={"description": "client: the sister app's page"})
    client = fields.String(validate=validate.Regexp(r"^[0-9a-f]{24}$"),
                           metadata={"description": "client: the registered sister app"})
    builtin = fields.String(validate=validate.OneOf(tuple(BUILTINS)),
                            metadata={"description": "builtin: report (我要反映)"})

    @post_dump
    def _given_only(self, data: dict, **kwargs) -> dict:
        """An entry answers with the fields its type uses (unset ones are absent, not null)."""
        return {k: v for k, v in data.items() if v is not None}


class ItemFieldsSchema(Schema):
    name = fields.String(validate=validate.Length(1, 60))
    kind = fields.String(validate=validate.OneOf(tuple(KINDS)), metadata={
        "description": "query 查询, apply 办理, booking 预约, payment 缴费, report 反映"})
    provider = fields.String(validate=validate.Length(1, 100))
    department = fields.String(validate=validate.Length(2, 42))
    audiences = fields.List(fields.String(validate=validate.OneOf(tuple(AUDIENCES))),
                            validate=validate.Length(1, 2),
                            metadata={"description": "person 个人, legal_person 法人"})
    entry = fields.Nested(EntrySchema)
    auth_level = fields.Integer(strict=True, validate=validate.Range(0, 3), metadata={
        "description": "0 anonymous, 1 phone, 2 real name, 3 face / ID card"})
    online = fields.Boolean()
    tags = fields.List(fields.String(validate=validate.Length(1, 20)), validate=validate.Length(0, 10))
    order = fields.Integer(strict=True, validate=validate.Range(0, 10_000))


class ItemCreateSchema(ItemFieldsSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,39}$"))
    name = fields.String(required=True, validate=validate.Length(1, 60))
    kind = fields.String(required=True, validate=validate.OneOf(tuple(KINDS)))
    entry = fields.Nested(EntrySchema, required=True)


class ItemSchema(ItemCreateSchema):
    id = fields.String()
    hall = fields.String()
    department = fields.String(allow_none=True, metadata={"description": "the department "
                                                                         "answering for it"})
    audiences = fields.List(fields.String(), metadata={"description": "person, legal_person"})
    kind_label = fields.Function(lambda item: KINDS[item.kind])
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class ListedItemSchema(Schema):
    item = fields.Nested(ItemSchema)
    favourite = fields.Boolean(metadata={"description": "signed in: one of my favourites"})
    last_used_at = LocalDateTime(allow_none=True,
                                 metadata={"description": "signed in: when I last opened it"})


class ItemListArgsSchema(Schema):
    q = fields.String(validate=[validate.Length(1, 40), validate.Regexp(r"^[^\x00-\x1f\x7f]+$")],
                      metadata={"description": "search in names and tags (Chinese text, literal)"})
    kind = fields.String(validate=validate.OneOf(tuple(KINDS)))
    audience = fields.String(validate=validate.OneOf(tuple(AUDIENCES)))
    section = fields.String(validate=validate.OneOf(("favourites", "recent")),
                            metadata={"description": "signed in: only my favourites / recently used"})
    include_offline = fields.Boolean(load_default=False, metadata={"description": "admins"})


class HallSchema(Schema):
    region = fields.String(required=True, validate=_REGION)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    description = fields.String(validate=validate.Length(0, 500))
    active = fields.Boolean()


class HallPatchSchema(Schema):
    name = fields.String(validate=validate.Length(1, 100))
    description = fields.String(validate=validate.Length(0, 500))
    active = fields.Boolean()


class UseSchema(Schema):
    item = fields.Nested(ItemSchema)
    entry = fields.Nested(EntrySchema)


class UsageArgsSchema(Schema):
    since = fields.Date()
    until = fields.Date()


class UsageDaySchema(Schema):
    day = fields.String()
    count = fields.Integer()


class UsageSchema(Schema):
    item = fields.String()
    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    total = fields.Integer()
    days = fields.List(fields.Nested(UsageDaySchema))
