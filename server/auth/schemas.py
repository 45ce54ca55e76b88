from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from server.extensions.schema import Schema

# grant type -> the fields it needs
GRANTS = {
    "password": ("username", "password"),
    "refresh_token": ("refresh_token",),
    "client_credentials": (),  # client_id + client_secret, or a client assertion
    "urn:ietf:params:oauth:grant-type:token-exchange": ("subject_token", "subject_token_type"),
}


class TokenRequestSchema(Schema):
    grant_type = fields.String(required=True, validate=validate.OneOf(list(GRANTS)))
    username = fields.String(validate=validate.Length(1, 64))
    password = fields.String(validate=validate.Length(1, 256))
    refresh_token = fields.String(validate=validate.Length(1, 256))
    scope = fields.String(validate=validate.Length(0, 512))
    client_id = fields.String(validate=validate.Length(1, 64))
    client_secret = fields.String(validate=validate.Length(1, 256))
    client_assertion_type = fields.String(validate=validate.Length(1, 128))
    client_assertion = fields.String(validate=validate.Length(1, 8192),
                                     metadata={"description": "RFC 7523 private_key_jwt"})
    subject_token = fields.String(validate=validate.Length(1, 4096),
                                  metadata={"description": "token exchange: the hub's SSO ticket"})
    subject_token_type = fields.String(validate=validate.Length(1, 128), metadata={
        "description": "token exchange: urn:gridhub:params:oauth:token-type:hub-ticket"})

    @validates_schema
    def _fields_of_grant(self, data, **kwargs):
        missing = [name for name in GRANTS.get(data.get("grant_type"), ()) if not data.get(name)]
        if missing:
            raise ValidationError({name: ["缺少必填字段"] for name in missing})
        if data.get("grant_type") == "client_credentials" and not data.get("client_assertion") \
                and not (data.get("client_id") and data.get("client_secret")):
            raise ValidationError("须提供 client_id 与 client_secret，或 client_assertion")


class TokenResponseSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    refresh_token = fields.String(metadata={"description": "opaque; spend it once (rotated)"})
    scope = fields.String()
    issued_token_type = fields.String(metadata={"description": "token exchange (RFC 8693)"})


class DevTicketRequestSchema(Schema):
    subject = fields.String(load_default="ish-demo-0001", validate=validate.Length(1, 128),
                            metadata={"description": "a demo resident's hub id"})


class DevTicketSchema(Schema):
    ticket = fields.String()
    subject_token_type = fields.String()
    expires_in = fields.Integer()


class MeSchema(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())
    org = fields.String(allow_none=True)
    org_kind = fields.String(allow_none=True)
    grids = fields.List(fields.String())
    level = fields.Integer(metadata={"description": "a hub-signed-in resident's authentication level"})
    phone = fields.String(allow_none=True, metadata={"description": "one's own number"})


class JwksSchema(Schema):
    keys = fields.List(fields.Dict())
