from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from server.cases.schemas import LocationSchema
from server.extensions.schema import DAY_RANGE, LocalDateTime, Schema
from server.organisation import names
from server.patrols.service import MAX_POINTS

# Mainland China and its islands, generously: a position outside is a phone's error (0,0).
CHINA_LAT = (3.0, 54.0)
CHINA_LNG = (73.0, 136.0)


class _InChina:
    @validates_schema
    def _in_china(self, data, **kwargs):
        lat, lng = data.get("lat"), data.get("lng")
        if lat is not None and lng is not None and not (
                CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]):
            raise ValidationError("位置不在中国境内", "lat")


class PatrolPointSchema(_InChina, LocationSchema):
    at = LocalDateTime(required=True, metadata={"description": "when the phone took the position"})
    accuracy_m = fields.Float(allow_none=True, validate=validate.Range(0, 100_000), metadata={
        "description": "the position's accuracy radius in metres (over the limit: kept, not counted)"})


class PointsSchema(Schema):
    points = fields.List(fields.Nested(PatrolPointSchema), required=True,
                         validate=validate.Length(1, MAX_POINTS))


class PointsHeadersSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key", required=True,
        validate=validate.Regexp(r"^[\x21-\x7e]{1,128}$", error="须为 1–128 个可见 ASCII 字符"),
        metadata={"description": "one key per batch: the same key and points again store "
                                 "nothing new and answer the same"})


class PatrolPlaceSchema(Schema):
    code = fields.String()
    name = fields.String()


class PatrolSchema(Schema):
    id = fields.String()
    worker = fields.String(metadata={"description": "the grid worker's user id"})
    worker_name = fields.String()
    status = fields.String(metadata={"description": "open or ended"})
    started_at = LocalDateTime()
    ended_at = LocalDateTime(allow_none=True)
    ended_by = fields.String(allow_none=True, metadata={
        "description": "worker, or idle (ended after GRIDHUB_PATROL_IDLE_MINUTES without a position)"})
    duration_s = fields.Integer(metadata={"description": "from start to end (or now)"})
    distance_m = fields.Float(metadata={"description": "geodesic, counted positions only"})
    inside_m = fields.Float(metadata={"description": "of it, inside the worker's own grids"})
    inside_share = fields.Float(allow_none=True, metadata={"description": "inside_m / distance_m"})
    moving_s = fields.Integer(metadata={"description": "time between counted positions"})
    inside_s = fields.Integer(metadata={"description": "of it, inside the worker's own grids"})
    grids_visited = fields.List(fields.Nested(PatrolPlaceSchema))
    point_count = fields.Integer()
    flagged_count = fields.Integer(metadata={
        "description": "positions kept but not counted (out of order, ahead of the clock, "
                       "inaccurate, impossibly fast)"})
    version = fields.Integer()


class PatrolDetailSchema(PatrolSchema):
    track = fields.Dict(metadata={"description": "GeoJSON Feature: the simplified track "
                                                "(LineString, WGS84 [lng, lat])"})
    cases = fields.List(fields.Dict(), metadata={
        "description": "cases the worker reported during the patrol: {id, code}"})


class BatchSchema(Schema):
    accepted = fields.Integer(metadata={"description": "positions counted"})
    flagged = fields.Integer(metadata={"description": "positions kept but not counted"})
    patrol = fields.Nested(PatrolSchema)



class ListArgsSchema(Schema):
    worker = fields.String(validate=validate.Regexp(r"^[0-9a-f]{24}$"),
                           metadata={"description": "a grid worker's user id"})
    from_ = fields.Date(data_key="from", validate=DAY_RANGE, metadata={"description": "first day"})
    to = fields.Date(validate=DAY_RANGE, metadata={"description": "last day, inclusive"})

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("开始日期不能晚于结束日期", "from")


class CheckInCreateSchema(_InChina, LocationSchema):
    accuracy_m = fields.Float(allow_none=True, validate=validate.Range(0, 100_000))


class CheckInSchema(Schema):
    id = fields.String()
    worker = fields.String()
    worker_name = fields.String()
    grid = fields.Function(lambda checkin: names.node(checkin.grid))
    day = fields.String()
    at = LocalDateTime()
    distance_m = fields.Float(metadata={"description": "outside the grid, within the tolerance; 0 inside"})


_ID = validate.Regexp(r"^[0-9a-f]{24}$", error="须为 24 位十六进制编号")


class WorkLogBodySchema(Schema):
    text = fields.String(required=True, validate=validate.Length(1, 4000))
    attachments = fields.List(fields.String(validate=_ID), load_default=list,
                              validate=validate.Length(0, 9))
    patrols = fields.List(fields.String(validate=_ID), load_default=list,
                          validate=validate.Length(0, 20))
    cases = fields.List(fields.String(validate=_ID), load_default=list,
                        validate=validate.Length(0, 50))


class WorkLogSchema(Schema):
    id = fields.String()
    worker = fields.String()
    worker_name = fields.String()
    day = fields.String()
    text = fields.String()
    attachments = fields.List(fields.String())
    patrols = fields.List(fields.String())
    cases = fields.List(fields.String())
    created_at = LocalDateTime()
    updated_at = LocalDateTime()
    version = fields.Integer()


class VisitBodySchema(Schema):
    subject = fields.String(required=True, validate=validate.Length(1, 100), metadata={
        "description": "the household or place visited (personal data: masked without pii:read)"})
    address = fields.String(validate=validate.Length(1, 200))
    purpose = fields.String(required=True, validate=validate.Length(1, 20),
                            metadata={"description": "one of GET /visit-purposes"})
    notes = fields.String(validate=validate.Length(1, 2000))
    attachments = fields.List(fields.String(validate=_ID), load_default=list,
                              validate=validate.Length(0, 9))
    location = fields.Nested(LocationSchema)
    visited_at = LocalDateTime(metadata={"description": "default: now; at most 7 days ago"})
    case = fields.String(validate=_ID, metadata={"description": "a follow-up case"})


class VisitHeadersSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key", load_default=None,
        validate=validate.Regexp(r"^[\x21-\x7e]{1,128}$", error="须为 1–128 个可见 ASCII 字符"),
        metadata={"description": "the same key and body again answer 200 with the same visit"})


class VisitSchema(Schema):
    id = fields.String()
    worker = fields.String()
    worker_name = fields.String()
    subject = fields.String()
    address = fields.String(allow_none=True)
    purpose = fields.String()
    notes = fields.String(allow_none=True)
    attachments = fields.List(fields.String())
    grid = fields.Nested(PatrolPlaceSchema, allow_none=True)
    location = fields.Dict(allow_none=True)
    visited_at = LocalDateTime()
    case = fields.String(allow_none=True)
    created_at = LocalDateTime()


class VisitArgsSchema(ListArgsSchema):
    purpose = fields.String(validate=validate.Length(1, 20))


class PurposesSchema(Schema):
    purposes = fields.List(fields.String())


class WorkerStatsArgsSchema(ListArgsSchema):
    region = fields.String(validate=validate.Regexp(r"^\d{6}(\d{3}){0,3}$"),
                           metadata={"description": "a county, town, community or grid code"})
    group_by = fields.String(load_default="worker",
                             validate=validate.OneOf(("worker", "community", "town")))


class WorkerStatsExportArgsSchema(WorkerStatsArgsSchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class WorkerRowSchema(Schema):
    key = fields.String(metadata={"description": "the worker's id, or the community / town code"})
    name = fields.String()
    grid = fields.String(allow_none=True)
    town = fields.String(allow_none=True)
    town_name = fields.String(allow_none=True)
    community = fields.String(allow_none=True)
    community_name = fields.String(allow_none=True)
    workers = fields.Integer()
    patrol_days = fields.Integer()
    patrol_hours = fields.Float()
    distance_km = fields.Float()
    inside_share = fields.Float(allow_none=True, metadata={
        "description": "share of the patrolled distance inside the worker's own grids"})
    grid_coverage = fields.Float(allow_none=True, metadata={
        "description": "share of own grids visited on a patrol at least once in the period"})
    checkin_days = fields.Integer()
    missed_checkin_days = fields.Integer(metadata={
        "description": "working days (county calendar, up to today) without a check-in"})
    events_found = fields.Integer()
    self_handled = fields.Integer()
    verifications = fields.Integer()
    verifications_on_time = fields.Integer()
    visits = fields.Integer()
    logs = fields.Integer()
    points = fields.Float(metadata={"description": "积分, by the county's rules in force each day"})
    rank_in_town = fields.Integer(metadata={"description": "by points, within the worker's town"})


class WorkerStatsSchema(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    region = fields.String(allow_none=True)
    group_by = fields.String()
    rows = fields.List(fields.Nested(WorkerRowSchema))


class PointRulesBodySchema(Schema):
    effective_from = fields.Date(required=True, validate=DAY_RANGE)
    rules = fields.Dict(required=True, metadata={
        "description": "per_patrol_hour, patrol_hours_cap_per_day, per_event_found, "
                       "per_self_handled, per_verification_on_time, per_visit, per_log, "
                       "per_missed_checkin_day (numbers; those left out take the defaults)"})


class PointRulesSchema(Schema):
    county = fields.String()
    versions = fields.List(fields.Dict())


class MapArgsSchema(Schema):
    day = fields.Date(validate=DAY_RANGE, metadata={"description": "default: today"})
    region = fields.String(validate=validate.Regexp(r"^\d{6}(\d{3}){0,3}$"))


class PatrolMapSchema(Schema):
    type = fields.String()
    day = fields.String()
    features = fields.List(fields.Dict(), metadata={
        "description": "LineString per patrol (kind track), Point per worker (kind "
                       "last_position, with its time and whether still patrolling)"})
