from __future__ import annotations

from flask import request
from flask.views import MethodView
from marshmallow import fields, validate

from server.auth.principals import authenticate
from server.extensions.api import Blueprint
from server.extensions.schema import LocalDateTime, Schema
from server.hub import service
from server.hub.models import AUDIENCES, BUILTINS, ENTRY_TYPES, KINDS

blp = Blueprint("hub", __name__, url_prefix="/api/v1", description="爱山东分厅与服务事项")

_REGION = validate.Regexp(r"^\d{6}$")


def _maybe_principal():
    """The signed-in principal if a token is sent (a bad token is still 401), else None."""
    return authenticate() if request.headers.get("Authorization") else None


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


@blp.route("/hub/halls")
class Halls(MethodView):
    @blp.secured(403, 409, 422)
    @blp.arguments(HallSchema())
    @blp.response(201, HallSchema)
    def post(self, data):
        """Open a county's branch hall (admin)."""
        return service.create_hall(principal=authenticate(), data=data)


@blp.route("/hub/halls/<region>")
class HallItem(MethodView):
    @blp.response(200, HallSchema)
    @blp.errors(404)
    def get(self, region):
        """A branch hall (anyone)."""
        return service.hall(region)

    @blp.secured(403, 404)
    @blp.arguments(HallPatchSchema())
    @blp.response(200, HallSchema)
    def patch(self, data, region):
        """Rename, describe or close a branch hall (admin)."""
        return service.update_hall(principal=authenticate(), region=region, data=data)


@blp.route("/hub/halls/<region>/items")
class HallItems(MethodView):
    @blp.arguments(ItemListArgsSchema(), location="query")
    @blp.response(200, ListedItemSchema(many=True))
    @blp.errors(401, 404)
    def get(self, args, region):
        """The hall's service items (anyone; personalised with a token: favourites, recently
        used); `q` searches names and tags."""
        return service.list_items(region=region, principal=_maybe_principal(), **args)

    @blp.secured(403, 404, 409, 422)
    @blp.arguments(ItemCreateSchema())
    @blp.response(201, ItemSchema)
    def post(self, data, region):
        """Add a service item to the hall (admin)."""
        return service.create_item(principal=authenticate(), region=region, data=data)


@blp.route("/hub/halls/<region>/usage")
class HallUsage(MethodView):
    @blp.secured(403, 404, 422)
    @blp.arguments(UsageArgsSchema(), location="query")
    @blp.response(200, UsageSchema(many=True))
    def get(self, args, region):
        """Uses per item and day (default: the last 30 days), busiest first."""
        return service.usage(principal=authenticate(), region=region, since=args.get("since"),
                             until=args.get("until"))


@blp.route("/hub/items/<objectid:item_id>")
class HubItem(MethodView):
    @blp.secured(403, 404, 422)
    @blp.arguments(ItemFieldsSchema())
    @blp.response(200, ItemSchema)
    def patch(self, data, item_id):
        """Change a service item, or take it offline (admin)."""
        return service.update_item(principal=authenticate(), item_id=item_id, data=data)


@blp.route("/hub/items/<objectid:item_id>/use")
class HubItemUse(MethodView):
    @blp.response(200, UseSchema)
    @blp.errors(401, 403, 404, 409)
    def post(self, item_id):
        """Open an item: counted for the day, remembered as recently used; answers where to go.
        An item needing authentication refuses anonymous (401) and too low a level (403)."""
        return service.use(item_id=item_id, principal=_maybe_principal())


@blp.route("/me/favourites/<objectid:item_id>")
class Favourite(MethodView):
    @blp.secured(404)
    @blp.response(200, ItemSchema)
    def put(self, item_id):
        """Make the item one of my favourites (idempotent)."""
        return service.add_favourite(item_id=item_id, principal=authenticate())

    @blp.secured(404)
    @blp.response(204)
    def delete(self, item_id):
        """Remove the item from my favourites."""
        service.remove_favourite(item_id=item_id, principal=authenticate())
