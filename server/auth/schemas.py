from __future__ import annotations

from marshmallow import fields, validate

from server.extensions.api import Schema


class TokenRequestSchema(Schema):
    grant_type = fields.String(required=True, validate=validate.OneOf(["password"]))
    username = fields.String(required=True, validate=validate.Length(1, 64))
    password = fields.String(required=True, validate=validate.Length(1, 256))
    scope = fields.String(validate=validate.Length(0, 512))


class TokenResponseSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    scope = fields.String()


class MeSchema(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())
    org = fields.String(allow_none=True)
    org_kind = fields.String(allow_none=True)
    grids = fields.List(fields.String())


class JwksSchema(Schema):
    keys = fields.List(fields.Dict())
