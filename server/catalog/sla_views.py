from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate

from server.auth.principals import authenticate
from server.catalog import sla_profiles
from server.extensions.api import Blueprint
from server.extensions.schema import Schema
from workflows import sla_policy
from workflows.calendar import UNITS

blp = Blueprint("sla_profiles", __name__, url_prefix="/api/v1", description="时限方案")


class SlaLimitSchema(Schema):
    amount = fields.Float(required=True, allow_nan=False,
                          validate=validate.Range(min=0, min_inclusive=False, max=100_000))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS), metadata={
        "description": "min/h: natural time; wh: working hours; wd: working days"})


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


@blp.route("/sla-profiles")
class Profiles(MethodView):
    @blp.secured()
    @blp.response(200, ProfileSchema(many=True))
    def get(self):
        """SLA profiles: phase limits per category and priority, warning and escalation points."""
        return sla_profiles.list_profiles()

    @blp.secured(403, 409)
    @blp.arguments(ProfileCreateSchema())
    @blp.response(201, ProfileSchema)
    def post(self, data):
        """Add an SLA profile (admin)."""
        return sla_profiles.save_profile(principal=authenticate(), data=data, create=True)


@blp.route("/sla-profiles/<code>")
class ProfileItem(MethodView):
    @blp.secured(404)
    @blp.response(200, ProfileSchema)
    def get(self, code):
        """One SLA profile and the regions that chose it."""
        return sla_profiles.get_profile(code=code)

    @blp.secured(403, 404)
    @blp.arguments(ProfileBodySchema())
    @blp.response(200, ProfileSchema)
    def put(self, data, code):
        """Replace an SLA profile (admin); running clocks keep the deadlines they have."""
        return sla_profiles.save_profile(principal=authenticate(), data=data, code=code)

    @blp.secured(403, 404, 409)
    @blp.response(204)
    def delete(self, code):
        """Delete an SLA profile no region uses and that is not the default (admin)."""
        sla_profiles.delete_profile(principal=authenticate(), code=code)


@blp.route("/regions/<code>/sla-profile")
class RegionProfile(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(ChoiceBodySchema())
    @blp.response(200, ChoiceSchema)
    def put(self, data, code):
        """Choose the SLA profile of a region and what lies under it (null: inherit) (admin)."""
        return sla_profiles.choose(principal=authenticate(), region=code, code=data["profile"])
