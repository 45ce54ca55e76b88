from __future__ import annotations

from marshmallow import fields, validate

from server.extensions.schema import DAY_RANGE, LocalDateTime, Schema
from server.grids.schemas import NodeSchema
from server.supervision.board import LIGHT_FILTERS
from server.timeutil import aware, now_utc
from workflows import sla_policy
from workflows.case_table import PRIORITIES

_text = fields.String


class BoardArgsSchema(Schema):
    light = _text(validate=validate.OneOf(LIGHT_FILTERS))
    phase = _text(validate=validate.OneOf(sla_policy.PHASES))
    department = _text(validate=validate.Length(1, 42))
    category = _text(validate=validate.Length(1, 12))
    level = fields.Integer(validate=validate.Range(0, 2))
    region = _text(validate=validate.Regexp(r"^\d{6}(\d{3}){0,3}$"),
                   metadata={"description": "a county, town, community or grid code"})
    priority = _text(validate=validate.OneOf(PRIORITIES))


class BoardItemSchema(Schema):
    id = _text()
    code = _text()
    status = _text()
    status_label = _text()
    category = _text()
    priority = _text()
    address = _text(allow_none=True)
    grid = _text(allow_none=True)
    summary = _text(metadata={"description": "the start of the description, one line"})
    location = fields.Dict(allow_none=True, metadata={"description": "{lat, lng} WGS84"})
    source = _text()
    source_label = _text(metadata={"description": "网格员上报, 群众诉求 or 平台推送"})
    place = _text(allow_none=True, metadata={"description": "the grid's name (or community's)"})
    town = fields.Nested(NodeSchema, allow_none=True)
    department = _text(allow_none=True)
    department_name = _text(allow_none=True)
    region_path = fields.List(_text())
    light = _text(allow_none=True, metadata={"description": "red, yellow, green or paused"})
    phase = _text(allow_none=True, metadata={"description": "the running phase due first"})
    phase_label = _text(allow_none=True)
    deadline = LocalDateTime(allow_none=True)
    clock = _text(allow_none=True)
    remaining_minutes = fields.Float(allow_none=True)
    time_left = _text(allow_none=True, metadata={
        "description": "剩余 1.5 个工作日（截止 12月03日 10:00）, 超期 3 小时（…）, 计时暂停"})
    escalation_level = fields.Integer()
    supervision_level = fields.Integer()
    supervise_count = fields.Integer()
    created_at = LocalDateTime()


class BoardCountsSchema(Schema):
    red = fields.Integer()
    yellow = fields.Integer()
    green = fields.Integer()
    paused = fields.Integer()


class CallbackArgsSchema(Schema):
    status = _text(load_default="open", validate=validate.OneOf(("open", "done")))


class CallbackDoneSchema(Schema):
    outcome = _text(required=True, validate=validate.OneOf(("explained", "reopened")), metadata={
        "description": "explained: 已说明解释; reopened: the case goes back to a department (重办)"})
    note = _text(required=True, validate=validate.Length(1, 1000),
                 metadata={"description": "what the reporter was told (the reason when reopened)"})
    department = _text(validate=validate.Length(1, 42),
                       metadata={"description": "reopened: the department to send it to"})


class CallbackSchema(Schema):
    id = _text()
    case = _text()
    case_code = _text()
    category = _text()
    comment = _text(allow_none=True, metadata={"description": "the reporter's 不满意 comment"})
    status = _text()
    due_at = LocalDateTime()
    overdue = fields.Function(lambda c: c.status == "open" and aware(c.due_at) < now_utc(),
                              metadata={"description": "open past its due time"})
    outcome = _text(allow_none=True)
    note = _text(allow_none=True)
    created_at = LocalDateTime()
    done_at = LocalDateTime(allow_none=True)


GROUPS = ("grid", "town", "department", "category", "day")



class PeriodArgsSchema(Schema):
    """A period of the indicators and the hot spots, narrowed by region and category."""

    from_ = fields.Date(data_key="from", validate=DAY_RANGE,
                        metadata={"description": "first day (Asia/Shanghai)"})
    to = fields.Date(validate=DAY_RANGE, metadata={"description": "last day, inclusive"})
    region = _text(validate=validate.Regexp(r"^\d{6}(\d{3}){0,3}$"))
    category = _text(validate=validate.Length(1, 12))


class StatsArgsSchema(PeriodArgsSchema):
    department = _text(validate=validate.Length(1, 42))
    group_by = _text(validate=validate.OneOf(GROUPS))


class HotspotsSchema(Schema):
    type = _text()
    features = fields.List(fields.Dict(), metadata={
        "description": "a grid's polygon with properties code, name, count, open"})
    from_ = _text(data_key="from")
    to = _text()
    outside_grids = fields.Integer(metadata={"description": "cases outside every grid"})
    max = fields.Integer(metadata={"description": "the largest count (for the map's scale)"})


class ExportArgsSchema(StatsArgsSchema):
    format = _text(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class IndicatorsSchema(Schema):
    key = _text(allow_none=True)
    name = _text(allow_none=True)
    reported = fields.Integer()
    cancelled = fields.Integer()
    accepted = fields.Integer()
    accept_rate = fields.Float(allow_none=True)
    dispatched = fields.Integer()
    ontime_dispatch_rate = fields.Float(allow_none=True)
    response_rate = fields.Float(allow_none=True)
    should_handle = fields.Integer()
    handled = fields.Integer()
    ontime_handle_rate = fields.Float(allow_none=True)
    should_close = fields.Integer()
    closed = fields.Integer()
    close_rate = fields.Float(allow_none=True)
    ontime_closed = fields.Integer()
    ontime_close_rate = fields.Float(allow_none=True)
    reworked = fields.Integer()
    rework_rate = fields.Float(allow_none=True)
    returned = fields.Integer()
    extended = fields.Integer()
    extension_rate = fields.Float(allow_none=True)
    overdue = fields.Integer()
    evaluated = fields.Integer()
    satisfied = fields.Integer()
    satisfaction_rate = fields.Float(allow_none=True)
    dissatisfied = fields.Integer(metadata={"description": "cases rated 不满意 (at any evaluation)"})
    redone = fields.Integer(metadata={"description": "cases reopened after a 不满意"})
    redone_resolved = fields.Integer(metadata={
        "description": "of those, closed again: 不满意重办解决"})
    redone_resolve_rate = fields.Float(allow_none=True)
    avg_handle_wh = fields.Float(allow_none=True)


class StatsSchema(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    region = _text(allow_none=True)
    group_by = _text(allow_none=True)
    total = fields.Nested(IndicatorsSchema)
    groups = fields.List(fields.Nested(IndicatorsSchema))
