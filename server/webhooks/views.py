from __future__ import annotations

from urllib.parse import urlsplit

from flask.views import MethodView
from marshmallow import ValidationError, fields, validate, validates

from server.auth.principals import authenticate
from server.extensions.api import Blueprint, Page
from server.extensions.schema import LocalDateTime, Schema
from server.inbox.views import DeliverySchema
from server.webhooks import service
from workflows.case_table import ACTIONS
from workflows.sla import NOTICES

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1", description="Webhook 订阅")

EVENT_TYPES = ("*", "report", *ACTIONS, *dict.fromkeys(event for _, event, _ in NOTICES),
               "evaluation.reminder")


class SubscriptionBodySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    url = fields.String(required=True, validate=validate.Length(1, 2048), metadata={
        "description": "http(s) URL the signed POSTs go to; no user or password in it"})
    events = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), required=True,
                         validate=validate.Length(1, len(EVENT_TYPES)),
                         metadata={"description": "event types (history actions, sla.*) or *"})
    region = fields.String(validate=validate.Regexp(r"^\d{6}(\d{3}){0,3}$"), metadata={
        "description": "only cases in this region (county, town, community or grid code)"})
    active = fields.Boolean(load_default=True)

    @validates("url")
    def _url(self, value: str, **kwargs) -> None:
        try:
            parts = urlsplit(value)
        except ValueError as exc:  # e.g. an unclosed IPv6 bracket
            raise ValidationError("地址格式无效") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise ValidationError("须为 http(s) 地址，且不含用户名和密码")


class SubscriptionPatchSchema(SubscriptionBodySchema):
    """Any of the fields (loaded with partial=True)."""


class SubscriptionSchema(Schema):
    id = fields.String()
    name = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    region = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = LocalDateTime()


class CreatedSubscriptionSchema(SubscriptionSchema):
    secret = fields.String(metadata={"description": "shown once: keep it to verify signatures"})


class TestDeliverySchema(Schema):
    delivered = fields.Boolean()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    elapsed_ms = fields.Integer()


@blp.route("/webhooks")
class Subscriptions(MethodView):
    @blp.secured(403)
    @blp.response(200, SubscriptionSchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self):
        """Webhook subscriptions of sister apps (admins)."""
        return service.list_all(principal=authenticate())

    @blp.secured(403, 422)
    @blp.arguments(SubscriptionBodySchema())
    @blp.response(201, CreatedSubscriptionSchema)
    def post(self, body):
        """Subscribe a URL to events; the answer carries the signing secret, shown only once."""
        return service.create(principal=authenticate(), **body)


@blp.route("/webhooks/<objectid:subscription_id>")
class Subscription(MethodView):
    @blp.secured(403, 404)
    @blp.response(200, SubscriptionSchema)
    def get(self, subscription_id):
        """One subscription (without its secret)."""
        return service.get(principal=authenticate(), subscription_id=subscription_id)

    @blp.secured(403, 404, 422)
    @blp.arguments(SubscriptionPatchSchema(partial=True))
    @blp.response(200, SubscriptionSchema)
    def patch(self, body, subscription_id):
        """Change events, URL, region, or switch a subscription off (`active: false`)."""
        return service.update(principal=authenticate(), subscription_id=subscription_id, **body)

    @blp.secured(403, 404)
    @blp.response(204)
    def delete(self, subscription_id):
        """Unsubscribe; deliveries still pending for it fail as `subscription_gone`."""
        service.delete(principal=authenticate(), subscription_id=subscription_id)


@blp.route("/webhooks/<objectid:subscription_id>/deliveries")
class Deliveries(MethodView):
    @blp.secured(403, 404)
    @blp.response(200, DeliverySchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, subscription_id):
        """The delivery log: each event posted, its status, attempts and last error."""
        return service.deliveries(principal=authenticate(), subscription_id=subscription_id)


@blp.route("/webhooks/<objectid:subscription_id>/test")
class TestDelivery(MethodView):
    @blp.secured(403, 404)
    @blp.response(200, TestDeliverySchema)
    def post(self, subscription_id):
        """Post a signed `ping` to the URL now and tell what it answered."""
        return service.test_delivery(principal=authenticate(), subscription_id=subscription_id)
