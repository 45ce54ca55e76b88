from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate

from server.auth.principals import authenticate
from server.catalog import calendars
from server.extensions.api import Blueprint
from server.extensions.schema import Schema

blp = Blueprint("calendars", __name__, url_prefix="/api/v1", description="工作日历")

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


class CalendarSchema(Schema):
    region = fields.String()
    office_hours = fields.List(fields.List(fields.String()))
    days = fields.List(fields.Dict())
    uncovered_years = fields.List(fields.Integer(), metadata={
        "description": "years near now the statutory calendar does not cover: load the notice"})


@blp.route("/calendars/<region>")
class Calendar(MethodView):
    @blp.secured(404)
    @blp.response(200, CalendarSchema)
    def get(self, region):
        """A county's working calendar: office hours and its own days."""
        return calendars.describe(region=region)


@blp.route("/calendars/<region>/days")
class CalendarDays(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(DaysSchema())
    @blp.response(200, CalendarSchema)
    def put(self, body, region):
        """Load a county's own days, e.g. a new year's holiday notice (admin)."""
        return calendars.set_days(principal=authenticate(), region=region, days=body["days"],
                                  replace_year=body.get("replace_year"))


@blp.route("/calendars/<region>/office-hours")
class CalendarHours(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(OfficeHoursSchema())
    @blp.response(200, CalendarSchema)
    def put(self, body, region):
        """Set a county's office hours (admin)."""
        return calendars.set_office_hours(principal=authenticate(), region=region,
                                          office_hours=body["office_hours"])
