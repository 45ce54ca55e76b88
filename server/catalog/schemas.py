from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from server.catalog.models import DATATYPES, PRIORITIES, REPLY_FIELDS
from server.extensions.schema import Schema
from workflows import sla_policy
from workflows.calendar import UNITS
from workflows.case_table import STAFF_ROLES
from workflows.quiet_hours import MAX_PERIODS

LISTS = ("singlevaluelist", "multivaluelist")


class AttributeValueSchema(Schema):
    key = fields.String(required=True, validate=validate.Length(1, 40))
    name = fields.String(required=True, validate=validate.Length(1, 100))


class AttributeSchema(Schema):
    code = fields.String(required=True,
                         validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_]{0,39}$"))
    datatype = fields.String(required=True, validate=validate.OneOf(DATATYPES))
    required = fields.Boolean(load_default=False)
    order = fields.Integer(load_default=0, validate=validate.Range(0, 1000))
    description = fields.String(required=True, validate=validate.Length(1, 200))
    values = fields.List(fields.Nested(AttributeValueSchema), load_default=list,
                         validate=validate.Length(0, 100))

    @validates_schema
    def _values_match_datatype(self, data, **_kwargs):
        if (data["datatype"] in LISTS) != bool(data.get("values")):
            raise ValidationError("列表类型的属性必须有取值，其他类型不能有取值", "values")


class CategoryFieldsSchema(Schema):
    name = fields.String(validate=validate.Length(1, 100))
    kind = fields.String(validate=validate.OneOf(["event", "request"]))
    domain = fields.String(validate=validate.Length(1, 20))
    default_department = fields.String(allow_none=True, validate=validate.Length(1, 42))
    default_priority = fields.String(validate=validate.OneOf(PRIORITIES))
    allows_self_handle = fields.Boolean()
    duplicate_radius_m = fields.Integer(validate=validate.Range(0, 5000))
    duplicate_window_h = fields.Integer(validate=validate.Range(0, 24 * 90))
    attributes = fields.List(fields.Nested(AttributeSchema), validate=validate.Length(0, 30))
    keywords = fields.List(fields.String(validate=validate.Length(1, 20)),
                           validate=validate.Length(0, 30))
    active = fields.Boolean()
    public = fields.Boolean(metadata={"description": "reports may be read anonymously through "
                                                     "Open311 in counties that open their reads"})

    @validates_schema
    def _attribute_codes_unique(self, data, **_kwargs):
        codes = [a["code"] for a in data.get("attributes", [])]
        if len(codes) != len(set(codes)):
            raise ValidationError("属性编码重复", "attributes")


class CategoryCreateSchema(CategoryFieldsSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]{2,12}$"))
    name = fields.String(required=True, validate=validate.Length(1, 100))
    parent = fields.String(validate=validate.Length(2, 12))


class CategorySchema(CategoryCreateSchema):
    level = fields.Integer()
    # Read back: a 大类 has no parent, a category may have no domain.
    parent = fields.String(allow_none=True)
    domain = fields.String(allow_none=True)


class CategoryListArgsSchema(Schema):
    kind = fields.String(validate=validate.OneOf(["event", "request"]))
    parent = fields.String(validate=validate.Length(2, 12))
    level = fields.Integer(validate=validate.OneOf([1, 2]))


# --- working calendars --------------------------------------------------------------------
_CLOCK = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="须为 HH:MM")


class DaySchema(Schema):
    date = fields.Date(required=True)
    workday = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(0, 100))


class DaysSchema(Schema):
    days = fields.List(fields.Nested(DaySchema), required=True, validate=validate.Length(1, 400))
    replace_year = fields.Integer(validate=validate.Range(2000, 2100))


class OfficeHoursSchema(Schema):
    office_hours = fields.List(fields.List(fields.String(validate=_CLOCK),
                                           validate=validate.Length(2, 2)),
                               required=True, validate=validate.Length(1, 6))


class QuietRuleSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(sorted(STAFF_ROLES)), metadata={
        "description": "a staff role whose non-urgent push and SMS alerts wait for office hours"})
    office_hours = fields.List(
        fields.List(fields.String(validate=_CLOCK), validate=validate.Length(2, 2)),
        allow_none=True, load_default=None, validate=validate.Length(1, MAX_PERIODS),
        metadata={"description": "this role's office hours; null: the county's"})


class QuietHoursSchema(Schema):
    rules = fields.List(fields.Nested(QuietRuleSchema), required=True,
                        validate=validate.Length(0, len(STAFF_ROLES)), metadata={
                            "description": "replaces the county's rules; [] holds nothing"})


class CalendarSchema(Schema):
    region = fields.String()
    office_hours = fields.List(fields.List(fields.String()))
    days = fields.List(fields.Dict())
    quiet_hours = fields.List(fields.Nested(QuietRuleSchema), metadata={
        "description": "the roles whose non-urgent alerts are held outside office hours and "
                       "sent as one digest at the start of the next working period"})
    uncovered_years = fields.List(fields.Integer(), metadata={
        "description": "years near now the statutory calendar does not cover: load the notice"})


# --- SLA profiles ---------------------------------------------------------------------------
CLOCKS = ("natural", "working")


def _clock(limit) -> str:
    unit = limit["unit"] if isinstance(limit, dict) else limit.unit
    return "working" if sla_policy.Limit(1, unit).working else "natural"


class SlaLimitSchema(Schema):
    amount = fields.Float(required=True, allow_nan=False,
                          validate=validate.Range(min=0, min_inclusive=False, max=100_000))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS), metadata={
        "description": "min/h: natural time; wh: working hours; wd: working days"})
    # Shown with every limit; accepted back (a profile read can be written again) when it agrees.
    clock = fields.Function(_clock, deserialize=str, validate=validate.OneOf(CLOCKS), metadata={
        "description": "natural (around the clock) or working (office hours of working days); "
                       "follows from the unit"})

    @validates_schema
    def _clock_follows_the_unit(self, data, **kwargs):
        if "clock" in data and data.get("unit") in UNITS and data["clock"] != _clock(data):
            raise ValidationError({"clock": [f"单位 {data['unit']} 对应 {_clock(data)}"]})

    @post_load
    def _without_clock(self, data, **kwargs):
        data.pop("clock", None)
        return data


class NoticePointSchema(Schema):
    percent = fields.Float(allow_nan=False, validate=validate.Range(min=0, min_inclusive=False,
                                                                    max=1000))
    offset = fields.Nested(SlaLimitSchema, metadata={
        "description": "before the deadline (warning) or after it (escalation)"})


class RuleSchema(Schema):
    category = fields.String(load_default="", validate=validate.Length(0, 12), metadata={
        "description": "a category code or 大类 prefix; empty for every category"})
    priority = fields.String(load_default=sla_policy.ANY,
                             validate=validate.OneOf([*sla_policy.PRIORITIES, sla_policy.ANY]))
    limits = fields.Dict(keys=fields.String(validate=validate.OneOf(sla_policy.PHASES)),
                         values=fields.Nested(SlaLimitSchema), required=True)


class ProfileBodySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    description = fields.String(validate=validate.Length(0, 500))
    rules = fields.List(fields.Nested(RuleSchema), required=True,
                        validate=validate.Length(1, 500))
    warn = fields.Nested(NoticePointSchema, load_default=lambda: {"percent": 80})
    escalate = fields.List(fields.Nested(NoticePointSchema), validate=validate.Length(2, 2),
                           load_default=lambda: [{"percent": 150}, {"percent": 200}])
    max_extension = fields.Nested(SlaLimitSchema, allow_none=True, load_default=None)
    return_window = fields.Nested(SlaLimitSchema, allow_none=True, load_default=None)
    is_default = fields.Boolean(load_default=False)


class ProfileCreateSchema(ProfileBodySchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-z][0-9a-z_-]{1,40}$"))


class ProfileSchema(ProfileCreateSchema):
    regions = fields.List(fields.String(), metadata={"description": "regions that chose it"})
    updated_at = fields.DateTime()


class ChoiceBodySchema(Schema):
    profile = fields.String(required=True, allow_none=True)


class ChoiceSchema(Schema):
    region = fields.String()
    profile = fields.String(allow_none=True)
    effective = fields.String(allow_none=True, metadata={
        "description": "the profile cases here run on, after inheritance and the default"})


class ReplyArgsSchema(Schema):
    field = fields.String(required=True, validate=validate.OneOf(REPLY_FIELDS),
                          metadata={"description": "result (处置结果), reason or note"})
    category = fields.String(validate=validate.Regexp(r"^\d{2}(\d{2})?$"),
                             metadata={"description": "the case's category: its 小类 and 大类 texts too"})
    county = fields.String(validate=validate.Regexp(r"^\d{6}$"),
                           metadata={"description": "platform admins: which county"})


class ReplyFieldsSchema(Schema):
    category = fields.String(validate=validate.Regexp(r"^(\d{2}){0,2}$"),
                             metadata={"description": "a 大类 or 小类 code; empty: every category"})
    field = fields.String(validate=validate.OneOf(REPLY_FIELDS))
    text = fields.String(validate=validate.Length(1, 200))
    order = fields.Integer(strict=True, validate=validate.Range(0, 10_000))


class ReplyCreateSchema(ReplyFieldsSchema):
    county = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))
    field = fields.String(required=True, validate=validate.OneOf(REPLY_FIELDS))
    text = fields.String(required=True, validate=validate.Length(1, 200))


class ReplySchema(Schema):
    id = fields.String()
    county = fields.String()
    category = fields.String()
    field = fields.String()
    text = fields.String()
    order = fields.Integer()
