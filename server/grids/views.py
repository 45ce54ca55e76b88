from __future__ import annotations

from flask.views import MethodView

from server.extensions.api import Blueprint
from server.grids import service
from server.grids.schemas import LocateArgsSchema, LocatedSchema

blp = Blueprint("grids", __name__, url_prefix="/api/v1", description="网格与定位")


@blp.route("/grids/locate")
class Locate(MethodView):
    @blp.secured(422)
    @blp.arguments(LocateArgsSchema(), location="query")
    @blp.response(200, LocatedSchema)
    def get(self, args):
        """Find the grid (and community, town, county, grid workers) of a point."""
        return service.locate_details(lat=args["lat"], lng=args["lng"],
                                      system=args["coord_system"])
