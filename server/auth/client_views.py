from __future__ import annotations

from flask.views import MethodView
from marshmallow import ValidationError, fields, validate, validates_schema

from server.auth import clients
from server.auth.models import SCOPES
from server.auth.principals import authenticate
from server.extensions.api import Blueprint, Page
from server.extensions.schema import LocalDateTime, Schema

blp = Blueprint("clients", __name__, url_prefix="/api/v1", description="接入应用（兄弟应用）")


class ClientBodySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(0, len(SCOPES)))
    public_jwk = fields.Dict(metadata={"description": "its public key (RSA or EC JWK) for private_key_jwt; "
                                                     "without one the client gets a secret"})
    webhook_urls = fields.List(fields.Url(schemes={"http", "https"}, require_tld=False),
                               validate=validate.Length(0, 20))


class DetectionRulesSchema(Schema):
    min_confidence = fields.Float(validate=validate.Range(0, 1), load_default=0.0,
                                  metadata={"description": "below it a detection is not filed"})
    auto_accept = fields.Float(validate=validate.Range(0, 1), allow_none=True, load_default=None,
                               metadata={"description": "from it a case is filed as 受理 (accepted)"})
    window_minutes = fields.Integer(strict=True, validate=validate.Range(1, 24 * 60), load_default=30)
    radius_m = fields.Integer(strict=True, validate=validate.Range(1, 2000), load_default=50)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("auto_accept") is not None and data["auto_accept"] < data["min_confidence"]:
            raise ValidationError("auto_accept 不能低于 min_confidence", "auto_accept")


class ClientPatchSchema(Schema):
    name = fields.String(validate=validate.Length(1, 100))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)),
                         validate=validate.Length(0, len(SCOPES)))
    public_jwk = fields.Dict()
    webhook_urls = fields.List(fields.Url(schemes={"http", "https"}, require_tld=False),
                               validate=validate.Length(0, 20))
    active = fields.Boolean(metadata={"description": "false: its tokens are refused from now on"})
    detection = fields.Nested(DetectionRulesSchema, metadata={
        "description": "a machine reporter's rules (video AI, IoT sensors)"})


class ClientSchema(Schema):
    id = fields.String()
    name = fields.String()
    scopes = fields.List(fields.String())
    public_jwk = fields.Dict()
    webhook_urls = fields.List(fields.String())
    detection = fields.Dict()
    active = fields.Boolean()
    auth_method = fields.Method("_auth_method")
    created_at = LocalDateTime()

    def _auth_method(self, client) -> str:
        return "private_key_jwt" if client.public_jwk else "client_secret"


class ClientWithSecretSchema(ClientSchema):
    client_secret = fields.String(allow_none=True, metadata={"description": "shown this once"})


def _with_secret(client, secret):
    client.client_secret = secret
    return client


@blp.route("/clients")
class Clients(MethodView):
    @blp.secured(403)
    @blp.response(200, ClientSchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self):
        """Registered sister apps (admins)."""
        return clients.list_all(principal=authenticate())

    @blp.secured(403, 422)
    @blp.arguments(ClientBodySchema())
    @blp.response(201, ClientWithSecretSchema)
    def post(self, body):
        """Register a sister app: its scopes, and its public key or else a generated secret
        (in this answer only)."""
        return _with_secret(*clients.register(principal=authenticate(), **body))


@blp.route("/clients/<objectid:client_id>")
class ClientItem(MethodView):
    @blp.secured(403, 404)
    @blp.response(200, ClientSchema)
    def get(self, client_id):
        """One sister app."""
        return clients.get(principal=authenticate(), client_id=client_id)

    @blp.secured(403, 404, 422)
    @blp.arguments(ClientPatchSchema())
    @blp.response(200, ClientSchema)
    def patch(self, body, client_id):
        """Change a sister app's scopes, key or webhook URLs, or disable it."""
        return clients.update(principal=authenticate(), client_id=client_id, **body)


@blp.route("/clients/<objectid:client_id>/secret")
class ClientSecret(MethodView):
    @blp.secured(403, 404)
    @blp.response(200, ClientWithSecretSchema)
    def post(self, client_id):
        """Rotate the client secret: the old one stops working; the new one is shown once."""
        return _with_secret(*clients.rotate_secret(principal=authenticate(), client_id=client_id))


class ApiKeySchema(Schema):
    client_id = fields.String()
    api_key = fields.String(metadata={"description": "Open311 api_key; shown this once"})


@blp.route("/clients/<objectid:client_id>/api-key")
class ClientApiKey(MethodView):
    @blp.secured(403, 404)
    @blp.response(200, ApiKeySchema)
    def post(self, client_id):
        """Issue the sister app's Open311 api_key (the previous one stops working); shown once.
        Open311 reports need the app to hold `cases:write`."""
        client, key = clients.issue_api_key(principal=authenticate(), client_id=client_id)
        return {"client_id": str(client.id), "api_key": key}
