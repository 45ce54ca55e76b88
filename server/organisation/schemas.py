from __future__ import annotations

from marshmallow import fields, validate

from server.extensions.schema import LocalDateTime, Schema
from workflows.case_table import ROLES

_ID = validate.Regexp(r"^[0-9a-f]{24}$")


class UserCreateSchema(Schema):
    username = fields.String(required=True,
                             validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{2,64}$"))
    password = fields.String(required=True, load_only=True, validate=validate.Length(10, 256))
    name = fields.String(required=True, validate=validate.Length(1, 64))
    phone = fields.String(validate=validate.Regexp(r"^1\d{10}$", error="须为 11 位手机号"))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    org = fields.String(validate=validate.Length(1, 42))
    grids = fields.List(fields.String(validate=validate.Regexp(r"^\d{15}$")),
                        validate=validate.Length(0, 50))


class UserUpdateSchema(Schema):
    password = fields.String(load_only=True, validate=validate.Length(10, 256))
    name = fields.String(validate=validate.Length(1, 64))
    phone = fields.String(validate=validate.Regexp(r"^1\d{10}$", error="须为 11 位手机号"))
    role = fields.String(validate=validate.OneOf(ROLES))
    org = fields.String(allow_none=True, validate=validate.Length(1, 42))
    grids = fields.List(fields.String(validate=validate.Regexp(r"^\d{15}$")),
                        validate=validate.Length(0, 50))
    active = fields.Boolean()


class UserSchema(Schema):
    id = fields.String()
    username = fields.String()
    name = fields.String()
    phone = fields.String(allow_none=True)
    role = fields.String()
    org = fields.String(allow_none=True)
    org_kind = fields.String(allow_none=True)
    grids = fields.List(fields.String())
    active = fields.Boolean()
    created_at = LocalDateTime()


class UserListArgsSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    phone = fields.String(validate=validate.Regexp(r"^1\d{10}$", error="须为 11 位手机号"),
                          metadata={"description": "exact match (phones are not stored in clear)"})
    org = fields.String(validate=validate.Length(1, 42))


class DepartmentFieldsSchema(Schema):
    name = fields.String(validate=validate.Length(1, 100))
    parent = fields.String(allow_none=True, validate=validate.Length(2, 42))
    domain = fields.String(validate=validate.Length(1, 20))
    duty_officials = fields.List(fields.String(validate=_ID), validate=validate.Length(0, 20))
    active = fields.Boolean()


class DepartmentCreateSchema(DepartmentFieldsSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-z][0-9a-z-]{1,40}$"))
    name = fields.String(required=True, validate=validate.Length(1, 100))
    region = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))


class DepartmentSchema(DepartmentCreateSchema):
    pass


class DepartmentListArgsSchema(Schema):
    region = fields.String(validate=validate.Regexp(r"^\d{6}$"))
    include_inactive = fields.Boolean(load_default=False)
