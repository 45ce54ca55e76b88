from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from server.auth.principals import authenticate
from server.extensions.api import Blueprint, LocalDateTime, Page, Schema
from server.inbox import service

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
