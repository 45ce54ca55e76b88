from __future__ import annotations

from marshmallow import EXCLUDE, fields, validate

from server.cases.presenting import point_of
from server.extensions.schema import LocalDateTime, Schema, object_id_field
from server.grids.coords import SYSTEMS
from server.grids.schemas import NodeSchema
from workflows.case_table import (
    ACTIONS,
    NOTE_VISIBILITIES,
    PHOTO_BEFORE,
    PHOTO_STAGES,
    PRIORITIES,
    RATINGS,
    SOURCE_LABELS,
    STATE_LABELS,
    State,
)

_text = fields.String


class LocationSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    coord_system = fields.String(load_default="wgs84", validate=validate.OneOf(SYSTEMS),
                                 metadata={"description": "wgs84 (default), gcj02 or bd09"})


class CaseCreateSchema(Schema):
    category = _text(required=True, validate=validate.Length(1, 12))
    device = _text(validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$"), metadata={
        "description": "machine reporters (sister apps): the camera or sensor that detected it"})
    confidence = fields.Float(validate=validate.Range(0, 1), metadata={
        "description": "machine reporters: the detection's confidence, 0–1"})
    detected_at = LocalDateTime(metadata={"description": "machine reporters: when it was detected"})
    description = _text(required=True, validate=validate.Length(1, 4000))
    location = fields.Nested(LocationSchema, required=True)
    address = _text(validate=validate.Length(0, 200))
    priority = _text(validate=validate.OneOf(PRIORITIES),
                     metadata={"description": "default: the category's default priority"})
    attachments = fields.List(object_id_field(), validate=validate.Length(0, 9), load_default=list)
    attributes = fields.Dict(keys=fields.String(validate=validate.Length(1, 40)),
                             load_default=dict,
                             metadata={"description": "answers to the category's attributes"})
    contact_phone = _text(validate=validate.Regexp(r"^1\d{10}$", error="须为 11 位手机号"),
                          metadata={"description": "a resident's callback number (default: "
                                                   "the one registered); shown masked (脱敏)"})


class TransitionSchema(Schema):
    action = _text(required=True, validate=validate.Length(1, 40))
    note = _text(validate=validate.Length(0, 1000))
    note_visibility = _text(validate=validate.OneOf(NOTE_VISIBILITIES), metadata={
        "description": "internal (default for staff: back office only) or public (written for "
                       "the reporter: shown on their timeline and history)"})
    reason = _text(validate=validate.Length(1, 500))
    department = _text(validate=validate.Length(1, 42))
    assignee = object_id_field()
    primary = object_id_field()
    result = _text(validate=validate.Length(1, 4000))
    attachments = fields.List(object_id_field(), validate=validate.Length(1, 9))
    until = LocalDateTime()
    duration_wd = fields.Integer(strict=True, validate=validate.Range(1, 60))
    rating = _text(validate=validate.OneOf(RATINGS))
    level = fields.Integer(strict=True, validate=validate.Range(1, 2))
    category = _text(validate=validate.Length(1, 12))
    priority = _text(validate=validate.OneOf(PRIORITIES))


class CaseListArgsSchema(Schema):
    status = _text(validate=validate.OneOf([s.value for s in State]))
    category = _text(validate=validate.Length(1, 12))
    priority = _text(validate=validate.OneOf(PRIORITIES))
    source = _text(validate=validate.OneOf(["grid_worker", "resident", "client"]))
    region = _text(validate=validate.Regexp(r"^\d{6}(\d{3}){0,3}$"))
    grid = _text(validate=validate.Regexp(r"^\d{15}$"))
    department = _text(validate=validate.Length(1, 42))
    assignee = object_id_field()
    mine = fields.Boolean()
    created_from = LocalDateTime()
    created_to = LocalDateTime()
    q = _text(validate=[validate.Length(1, 100),
                        validate.Regexp(r"^[^\x00-\x1f\x7f]+$", error="不能包含控制字符")])
    reporter_phone = _text(validate=validate.Regexp(r"^1\d{10}$", error="须为 11 位手机号"),
                           metadata={"description": "exact match of a resident's number "
                                                    "(pii:read: admins, dispatchers)"})


class CaseExportArgsSchema(CaseListArgsSchema):
    format = _text(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class FollowSchema(Schema):
    ref = _text(required=True, validate=validate.Length(1, 1000),
                metadata={"description": "a nearby case's follow_ref (GET /cases/nearby)"})


class FollowedSchema(Schema):
    code = _text()
    category = _text()
    category_name = _text()
    status = _text()
    status_label = _text()
    place = _text(allow_none=True, metadata={"description": "its community (or town)"})
    following = fields.Boolean()


class ReporterSchema(Schema):
    key = _text()
    name = _text(metadata={"description": "a resident's name masked (王**) without pii:read"})
    phone = _text(allow_none=True, metadata={"description": "a resident's callback number, "
                                                            "masked (138****5678) without pii:read"})
    contact_name = _text(allow_none=True, metadata={"description": "a submitter a sister app named"})


class LimitOutSchema(Schema):
    amount = fields.Float()
    unit = _text()
    label = _text()


class PhaseClockSchema(Schema):
    phase_label = _text()
    limit = fields.Nested(LimitOutSchema)
    clock = _text(metadata={"description": "working (wh/wd limits) or natural (min/h)"})
    started_at = LocalDateTime()
    deadline = LocalDateTime()
    warn_at = LocalDateTime()
    escalate_at = LocalDateTime()
    escalate_county_at = LocalDateTime()
    paused = fields.Boolean()
    ended_at = LocalDateTime(allow_none=True)
    on_time = fields.Boolean(allow_none=True)
    round = fields.Integer()
    light = _text(allow_none=True)
    remaining_minutes = fields.Float()
    time_left = _text(allow_none=True, metadata={
        "description": "for people: time left or overdue in the limit's unit and the deadline, "
                       "e.g. 剩余 1.5 个工作日（截止 12月03日 10:00）; null once ended"})


class PlacesSchema(Schema):
    county = fields.Nested(NodeSchema, allow_none=True)
    town = fields.Nested(NodeSchema, allow_none=True)
    community = fields.Nested(NodeSchema, allow_none=True)
    grid = fields.Nested(NodeSchema, allow_none=True)


class ReportHeadersSchema(Schema):
    """The headers a report reads (the others pass by)."""

    class Meta:
        unknown = EXCLUDE

    idempotency_key = fields.String(
        data_key="Idempotency-Key", load_default=None,
        validate=validate.Regexp(r"^[\x21-\x7e]{1,128}$", error="须为 1–128 个可见 ASCII 字符"),
        metadata={"description": "the same key and body again answer 200 with the same case"})


class CaseSchema(Schema):
    id = _text()
    code = _text()
    status = _text()
    status_label = fields.Method("_status_label")
    category = _text()
    priority = _text()
    source = _text()
    source_label = fields.Function(lambda case: SOURCE_LABELS.get(case.source, case.source),
                                   metadata={"description": "网格员上报, 群众诉求 or 平台推送"})
    description = _text()
    location = fields.Method("_location", metadata={"description": "{lat, lng} WGS84"})
    address = _text(allow_none=True)
    region_path = fields.List(_text())
    attributes = fields.Dict()
    grid = _text(allow_none=True)
    places = fields.Nested(PlacesSchema, attribute="places_view", metadata={
        "description": "the case's county, town, community and grid, each {code, name}"})
    outside_grids = fields.Boolean()
    responsible_worker = _text(allow_none=True)
    suggested_department = _text(allow_none=True)
    suggested_department_name = _text(allow_none=True)
    department = _text(allow_none=True)
    department_name = _text(allow_none=True)
    assignee = _text(allow_none=True)
    reporter = fields.Nested(ReporterSchema, attribute="reporter_view", metadata={
        "description": "who reported and how to call them back; masked (脱敏) without pii:read"})
    attachments = fields.List(_text())
    photos = fields.Method("_photos", metadata={
        "description": "each attachment with what it shows: [{id, stage: before (上报) | after "
                       "(处置) | added (补充), label}]"})
    media_url = _text(allow_none=True)
    location_source = _text(metadata={"description": "gps, or address (placed by region names)"})
    deadlines = fields.Method("_deadlines", metadata={
        "description": "per phase (accept, dispatch, sign, handle, verify): limit, deadline, "
                       "warn_at, escalate_at, light green/yellow/red, remaining_minutes on the "
                       "phase's clock (working or natural), on_time once ended"})
    light = _text(attribute="light_now", allow_none=True, metadata={
        "description": "worst light of the running phases: green, yellow, red, paused or null"})
    sla_profile = _text(allow_none=True)
    escalation_level = fields.Integer(metadata={"description": "0 none, 1 town, 2 county"})
    version = fields.Integer()
    result = _text(allow_none=True)
    merged_into = _text(allow_none=True)
    merged_cases = fields.List(_text())
    possible_duplicates = fields.List(_text())
    supervision_level = fields.Integer()
    extension = fields.Dict(allow_none=True)
    suspension = fields.Dict(allow_none=True)
    evaluation = fields.Dict(allow_none=True)
    follower_count = fields.Integer(attribute="followers_view", allow_none=True, metadata={
        "description": "how many follow the case (附议); staff only (null for others), never who"})
    machine = fields.Dict(allow_none=True, metadata={
        "description": "a machine reporter's detection: device, confidence, detected_at, "
                       "sightings (how many detections this case stands for), last_seen"})
    rework_count = fields.Integer()
    return_count = fields.Integer()
    accepted_at = LocalDateTime(allow_none=True)
    dispatched_at = LocalDateTime(allow_none=True)
    signed_at = LocalDateTime(allow_none=True)
    handled_at = LocalDateTime(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()
    updated_at = LocalDateTime()

    def _status_label(self, case) -> str:
        return STATE_LABELS[State(case.status)]

    def _location(self, case) -> dict:
        return point_of(case.location)

    def _photos(self, case) -> list[dict]:
        stages = case.photo_stages or {}
        return [dict(zip(("stage", "label"), PHOTO_STAGES.get(stages.get(i), PHOTO_BEFORE),
                         strict=True), id=i) for i in case.attachments or ()]

    def _deadlines(self, case) -> dict:
        return {phase: PhaseClockSchema().dump(clock)
                for phase, clock in case.deadlines_view.items()}


class TimelineStageSchema(Schema):
    key = _text(metadata={"description": "accept, dispatch, handle, close"})
    label = _text(metadata={"description": "受理、派遣、处置、结案"})
    done = fields.Boolean()
    at = LocalDateTime(allow_none=True)


class TimelineEventSchema(Schema):
    at = LocalDateTime()
    action = _text()
    text = _text()


class TimelineSchema(Schema):
    id = _text()
    code = _text()
    status = _text()
    finished = fields.Boolean()
    stages = fields.List(fields.Nested(TimelineStageSchema))
    events = fields.List(fields.Nested(TimelineEventSchema), metadata={"description": "newest first"})
    can_evaluate = fields.Boolean()
    evaluate_until = LocalDateTime(allow_none=True)
    evaluation = fields.Dict(allow_none=True)


# History entries that are not workflow actions: the report itself and the timers' notices.
EVENT_LABELS = {"support.priority_raised": "附议升级为紧急",
                "report": "上报", "sla.warning": "黄牌预警", "sla.overdue": "红牌超期",
                "sla.escalated": "超期升级", "evaluation.reminder": "提醒评价"}


def history_label(entry: dict) -> str:
    action = entry.get("action") or ""
    spec = ACTIONS.get(action)
    return spec.label if spec else EVENT_LABELS.get(action, action)


class HistoryEntrySchema(Schema):
    seq = fields.Integer()
    action = _text()
    label = fields.Function(history_label, metadata={"description": "the action's name in Chinese"})
    from_state = _text(data_key="from", attribute="from", allow_none=True)
    to = _text()
    actor = fields.Dict(metadata={"description": "key, name, roles (staff); roles only for "
                                                 "residents and sister apps"})
    note = _text(allow_none=True)
    note_visibility = _text(load_default="internal", dump_default="internal",
                            metadata={"description": "internal or public"})
    payload = fields.Dict()
    at = LocalDateTime()


class ActionDescriptionSchema(Schema):
    name = _text()
    label = _text()
    required = fields.List(_text())
    one_of = fields.List(_text())
    optional = fields.List(_text())


class ActionsSchema(Schema):
    status = _text()
    version = fields.Integer()
    actions = fields.List(fields.Nested(ActionDescriptionSchema))


class AttachmentSchema(Schema):
    id = _text()
    case = _text(allow_none=True)
    content_type = _text()
    size = fields.Integer()
    width = fields.Integer()
    height = fields.Integer()
    sha256 = _text()
    created_at = LocalDateTime()


class UploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class NearbyArgsSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    coord_system = fields.String(load_default="wgs84", validate=validate.OneOf(SYSTEMS))
    category = _text(required=True, validate=validate.Length(1, 12))


class NearbyCaseSchema(Schema):
    id = _text(allow_none=True, metadata={"description": "null for a case the caller may not read"})
    code = _text(allow_none=True, metadata={"description": "null for a case the caller may not read"})
    readable = fields.Boolean(metadata={"description": "the caller may open this case"})
    status = _text()
    status_label = _text()
    category = _text()
    address = _text(allow_none=True, metadata={"description": "null for a case the caller may not read"})
    place = _text(allow_none=True, metadata={"description": "the community (or town) it lies in"})
    distance_m = fields.Float()
    created_at = LocalDateTime()
    follow_ref = _text(metadata={"description": "an opaque reference (1 hour) to follow this "
                                                "case instead of filing a duplicate: POST /cases/follow"})
