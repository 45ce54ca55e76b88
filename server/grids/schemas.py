from __future__ import annotations

from marshmallow import fields, validate

from server.extensions.api import Schema
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


class LocatedSchema(Schema):
    location = fields.Nested(PointSchema, metadata={"description": "the point in WGS84"})
    grid = fields.Nested(NodeSchema)
    community = fields.Nested(NodeSchema, allow_none=True)
    town = fields.Nested(NodeSchema, allow_none=True)
    county = fields.Nested(NodeSchema, allow_none=True)
    region_path = fields.List(fields.String())
    grid_workers = fields.List(fields.Nested(PersonSchema))
