from __future__ import annotations

from flask.views import MethodView

from server.auth.principals import authenticate
from server.extensions.api import Blueprint, Page
from server.grids import regions, service
from server.grids.schemas import (
    FeatureCollectionSchema,
    GridListArgsSchema,
    ImportResultSchema,
    LayersSchema,
    LocateArgsSchema,
    LocatedSchema,
    RegionCreateSchema,
    RegionListArgsSchema,
    RegionSchema,
    RegionUpdateSchema,
)

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


@blp.route("/regions")
class Regions(MethodView):
    @blp.secured(403)
    @blp.arguments(RegionListArgsSchema(), location="query")
    @blp.response(200, RegionSchema(many=True))
    @blp.paginate(Page, page_size=50, max_page_size=100)
    def get(self, args):
        """List region nodes (county, towns, communities, grids)."""
        return regions.list_regions(**args)

    @blp.secured(403, 409)
    @blp.arguments(RegionCreateSchema())
    @blp.response(201, RegionSchema)
    def post(self, data):
        """Add a region node under its parent (admin)."""
        return regions.create_region(principal=authenticate(), data=data)


@blp.route("/regions/<code>")
class RegionItem(MethodView):
    @blp.secured(403, 404)
    @blp.response(200, RegionSchema)
    def get(self, code):
        """Read one region node."""
        return regions.get_region(code=code)

    @blp.secured(403, 404)
    @blp.arguments(RegionUpdateSchema())
    @blp.response(200, RegionSchema)
    def patch(self, data, code):
        """Rename a node or change its staff and dates (admin)."""
        return regions.update_region(principal=authenticate(), code=code, data=data)


@blp.route("/regions/<code>/layers")
class RegionLayers(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(LayersSchema())
    @blp.response(200, RegionSchema)
    def put(self, body, code):
        """Set a grid's responsibility layers by domain (多网格融合, admin)."""
        return regions.set_layers(principal=authenticate(), code=code, layers=body["layers"])


@blp.route("/regions/<code>/retire")
class RegionRetire(MethodView):
    @blp.secured(403, 404, 409)
    @blp.response(200, RegionSchema)
    def post(self, code):
        """Retire a node and its subtree; refused while it has open cases (admin)."""
        return regions.retire_region(principal=authenticate(), code=code)


@blp.route("/grids")
class Grids(MethodView):
    @blp.secured()
    @blp.arguments(GridListArgsSchema(), location="query")
    @blp.response(200, FeatureCollectionSchema)
    def get(self, args):
        """The active grids (all, or those in one region) as a GeoJSON FeatureCollection with
        each grid's code and name (re-importable as it is)."""
        return regions.export_grids(region=args.get("region"))


@blp.route("/grids/import")
class GridImport(MethodView):
    body_limit_setting = "MAX_IMPORT_BYTES"

    @blp.secured(403)
    @blp.arguments(FeatureCollectionSchema())
    @blp.response(200, ImportResultSchema)
    def post(self, collection):
        """Import grids from a GeoJSON FeatureCollection, all or nothing (admin)."""
        return regions.import_grids(principal=authenticate(), collection=collection)
