from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate

from server.audit import service
from server.auth.principals import authenticate
from server.extensions.api import Blueprint, Page
from server.extensions.schema import LocalDateTime, Schema

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="审计日志")


class AuditArgsSchema(Schema):
    actor = fields.String(validate=validate.Length(1, 100),
                          metadata={"description": "user:<id> or client:<id>"})
    action = fields.String(validate=validate.Length(1, 200), metadata={"description": "prefix, e.g. auth."})
    target = fields.String(validate=validate.Length(1, 200))
    result = fields.String(validate=validate.OneOf(["success", "failure"]))
    since = LocalDateTime(metadata={"description": "ISO-8601 with offset"})
    until = LocalDateTime()


class AuditEntrySchema(Schema):
    id = fields.String()
    at = LocalDateTime()
    actor = fields.String(allow_none=True)
    client = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    action = fields.String()
    target = fields.String(allow_none=True)
    result = fields.String()
    status = fields.Integer(allow_none=True)
    detail = fields.Dict()


@blp.route("/audit")
class Audit(MethodView):
    @blp.secured(403)
    @blp.arguments(AuditArgsSchema(), location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(Page, page_size=50, max_page_size=100)
    def get(self, args):
        """The audit trail (admins): every write and login attempt, newest first. Append-only."""
        return service.search(principal=authenticate(), **args)
