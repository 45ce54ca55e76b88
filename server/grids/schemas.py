from __future__ import annotations

from marshmallow import INCLUDE, fields, validate

from server.extensions.schema import Schema
from server.grids.coords import SYSTEMS


class LocateArgsSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    coord_system = fields.String(load_default="wgs84", validate=validate.OneOf(SYSTEMS))


class NodeSchema(Schema):
    code = fields.String()
    name = fields.String()


class PersonSchema(Schema):
    id = fields.String()
    name = fields.String()


class PointSchema(Schema):
    lat = fields.Float()
    lng = fields.Float()


class LayerOutSchema(Schema):
    domain = fields.String()
    grid_workers = fields.List(fields.Nested(PersonSchema))
    department = fields.Nested(NodeSchema, allow_none=True)


class LocatedSchema(Schema):
    location = fields.Nested(PointSchema, metadata={"description": "the point in WGS84"})
    grid = fields.Nested(NodeSchema, allow_none=True)
    community = fields.Nested(NodeSchema, allow_none=True)
    town = fields.Nested(NodeSchema, allow_none=True)
    county = fields.Nested(NodeSchema, allow_none=True)
    region_path = fields.List(fields.String())
    default_queue = fields.Boolean(metadata={"description": "outside every grid: the county's "
                                                            "default queue takes it"})
    grid_workers = fields.List(fields.Nested(PersonSchema))
    layers = fields.List(fields.Nested(LayerOutSchema),
                         metadata={"description": "who answers for each domain here"})


REGION_CODE = r"^\d{6}(\d{3}){0,3}$"


class RegionCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(
        REGION_CODE, error="编码须为 6、9、12 或 15 位数字"))
    name = fields.String(required=True, validate=validate.Length(1, 100))
    geometry = fields.Dict(metadata={"description": "GeoJSON Polygon/MultiPolygon area"})
    staff = fields.List(fields.String(validate=validate.Regexp(r"^[0-9a-f]{24}$")),
                        validate=validate.Length(0, 50))
    start_date = fields.Date()
    end_date = fields.Date()


class RegionUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(1, 100))
    geometry = fields.Dict(allow_none=True,
                           metadata={"description": "GeoJSON Polygon/MultiPolygon area"})
    default_queue = fields.Boolean(metadata={"description": "counties only"})
    staff = fields.List(fields.String(validate=validate.Regexp(r"^[0-9a-f]{24}$")),
                        validate=validate.Length(0, 50))
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)


class LayerSchema(Schema):
    domain = fields.String(required=True, validate=validate.Length(1, 20))
    grid_workers = fields.List(fields.String(validate=validate.Regexp(r"^[0-9a-f]{24}$")),
                               load_default=list, validate=validate.Length(0, 20))
    department = fields.String(allow_none=True, validate=validate.Length(1, 42))


class LayersSchema(Schema):
    layers = fields.List(fields.Nested(LayerSchema), required=True,
                         validate=validate.Length(0, 30))


class RegionSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent = fields.String(allow_none=True)
    path = fields.List(fields.String())
    staff = fields.List(fields.String())
    layers = fields.List(fields.Nested(LayerSchema))
    default_queue = fields.Boolean()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    retired = fields.Boolean()


class RegionListArgsSchema(Schema):
    parent = fields.String(validate=validate.Regexp(REGION_CODE))
    level = fields.String(validate=validate.OneOf(["county", "town", "community", "grid"]))
    include_retired = fields.Boolean(load_default=False)


class GridListArgsSchema(Schema):
    format = fields.String(load_default="geojson", validate=validate.OneOf(["geojson"]))
    region = fields.String(validate=validate.Regexp(REGION_CODE), metadata={
        "description": "only the grids in this town, community or grid"})


class FeatureCollectionSchema(Schema):
    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    features = fields.List(fields.Raw(), required=True)


class ImportResultSchema(Schema):
    imported = fields.Integer()
    overlaps = fields.List(fields.Dict())
