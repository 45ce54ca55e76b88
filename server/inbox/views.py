from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate

from server.auth.principals import authenticate
from server.extensions.api import Blueprint, Page
from server.extensions.schema import LocalDateTime, Schema
from server.inbox import devices, service
from server.inbox.models import DELIVERED, PLATFORMS, STATUSES

blp = Blueprint("inbox", __name__, url_prefix="/api/v1", description="消息通知")


class InboxArgsSchema(Schema):
    unread = fields.Boolean(metadata={"description": "true: only unread; false: only read"})


class NotificationSchema(Schema):
    id = fields.String()
    type = fields.String(metadata={"description": "the event: dispatch, sla.overdue …"})
    title = fields.String()
    body = fields.String()
    case = fields.String()
    case_code = fields.String()
    seq = fields.Integer()
    urgent = fields.Boolean()
    data = fields.Dict()
    read_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()


class CountSchema(Schema):
    unread = fields.Integer()


class MarkedSchema(Schema):
    marked = fields.Integer()


@blp.route("/me/notifications")
class Inbox(MethodView):
    @blp.secured()
    @blp.arguments(InboxArgsSchema(), location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, args):
        """My notifications (in-app inbox), newest first."""
        return service.list_mine(principal=authenticate(), unread=args.get("unread"))


@blp.route("/me/notifications/unread-count")
class UnreadCount(MethodView):
    @blp.secured()
    @blp.response(200, CountSchema)
    def get(self):
        """How many of my notifications are unread (the badge)."""
        return service.unread_count(principal=authenticate())


@blp.route("/me/notifications/<objectid:notification_id>/read")
class MarkRead(MethodView):
    @blp.secured(404)
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one of my notifications read."""
        return service.mark_read(principal=authenticate(), notification_id=notification_id)


@blp.route("/me/notifications/read-all")
class MarkAllRead(MethodView):
    @blp.secured()
    @blp.response(200, MarkedSchema)
    def post(self):
        """Mark all my notifications read."""
        return service.mark_all_read(principal=authenticate())


class DeviceInSchema(Schema):
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS),
                             metadata={"description": "android, ios, harmony or web"})
    token = fields.String(required=True, validate=validate.Length(min=20, max=4096),
                          metadata={"description": "the FCM registration token of this install"})


class DeviceSchema(Schema):
    id = fields.String()
    platform = fields.String()
    token = fields.String()
    created_at = LocalDateTime()
    last_seen_at = LocalDateTime()


class ChannelsSchema(Schema):
    inbox = fields.Boolean(metadata={"description": "消息 in the app"})
    push = fields.Boolean(metadata={"description": "a push to the phone's registered devices"})
    sms = fields.Boolean(metadata={"description": "an SMS, for urgent cases only (off unless asked for)"})


class PreferencesSchema(Schema):
    case_updates = fields.Nested(ChannelsSchema, required=True, metadata={
        "description": "how I hear about my own reports: 受理, 不予受理, 并案, 派遣, 处置, 办结, 重办, 延期"})


@blp.route("/me/preferences")
class Preferences(MethodView):
    @blp.secured(403)
    @blp.response(200, PreferencesSchema)
    def get(self):
        """How I am told about the cases I reported, per channel."""
        return service.preferences(principal=authenticate())

    @blp.secured(403)
    @blp.arguments(PreferencesSchema())
    @blp.response(200, PreferencesSchema)
    def put(self, body):
        """Turn channels of my case updates on or off (channels not named stay as they are)."""
        return service.set_preferences(principal=authenticate(), case_updates=body["case_updates"])


@blp.route("/me/devices")
class Devices(MethodView):
    @blp.secured()
    @blp.response(200, DeviceSchema(many=True))
    def get(self):
        """My devices registered for push, most recently seen first."""
        return devices.list_mine(principal=authenticate())

    @blp.secured(422)
    @blp.arguments(DeviceInSchema())
    @blp.response(201, DeviceSchema)
    @blp.alt_response(200, schema=DeviceSchema, description="already registered: refreshed")
    def post(self, body):
        """Register this device for push (an app calls it at every start; deduplicated by token)."""
        device, created = devices.register(principal=authenticate(), **body)
        return device, 201 if created else 200


@blp.route("/me/devices/<objectid:device_id>")
class DeviceItem(MethodView):
    @blp.secured(404)
    @blp.response(204)
    def delete(self, device_id):
        """Stop pushing to this device (at sign-out)."""
        devices.remove(principal=authenticate(), device_id=device_id)


class DeliveryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    channel = fields.String(validate=validate.OneOf(DELIVERED))


class DeliverySchema(NotificationSchema):
    recipient = fields.String()
    channel = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = LocalDateTime(allow_none=True)
    sent_at = LocalDateTime(allow_none=True)
    failed_at = LocalDateTime(allow_none=True)


@blp.route("/notifications")
class Deliveries(MethodView):
    @blp.secured(403)
    @blp.arguments(DeliveryArgsSchema(), location="query")
    @blp.response(200, DeliverySchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, args):
        """Push, SMS and webhook deliveries (admins): `status=failed` lists what needs a look."""
        return service.deliveries(principal=authenticate(), **args)


@blp.route("/notifications/<objectid:notification_id>/redrive")
class Redrive(MethodView):
    @blp.secured(403, 404, 409)
    @blp.response(200, DeliverySchema)
    def post(self, notification_id):
        """Deliver a failed notification again, from the first attempt (admins)."""
        return service.redrive(principal=authenticate(), notification_id=notification_id)
