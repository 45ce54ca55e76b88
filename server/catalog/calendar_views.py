from __future__ import annotations

from flask.views import MethodView

from server.auth.principals import authenticate
from server.catalog import calendars
from server.catalog.schemas import (
    CalendarSchema,
    DaysSchema,
    OfficeHoursSchema,
    QuietHoursSchema,
)
from server.extensions.api import Blueprint

blp = Blueprint("calendars", __name__, url_prefix="/api/v1", description="工作日历")


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


@blp.route("/calendars/<region>/quiet-hours")
class CalendarQuietHours(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(QuietHoursSchema())
    @blp.response(200, CalendarSchema)
    def put(self, body, region):
        """Set which roles' non-urgent alerts wait for office hours in a county (admin): held
        outside them on the county's calendar, then sent as one digest per person."""
        return calendars.set_quiet_hours(principal=authenticate(), region=region,
                                         rules=body["rules"])
