from __future__ import annotations

from flask import request
from flask.views import MethodView

from server.auth.principals import authenticate
from server.extensions.api import Blueprint
from server.hub import service
from server.hub.schemas import (
    HallPatchSchema,
    HallSchema,
    ItemCreateSchema,
    ItemFieldsSchema,
    ItemListArgsSchema,
    ItemSchema,
    ListedItemSchema,
    UsageArgsSchema,
    UsageSchema,
    UseSchema,
)

blp = Blueprint("hub", __name__, url_prefix="/api/v1", description="爱山东分厅与服务事项")


def _maybe_principal():
    """The signed-in principal if a token is sent (a bad token is still 401), else None."""
    return authenticate() if request.headers.get("Authorization") else None


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
