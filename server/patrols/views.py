from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Response
from flask.views import MethodView

from server.auth.principals import authenticate
from server.extensions.api import Blueprint, Page
from server.patrols import assessment, checkins, records, service
from server.patrols.schemas import (
    BatchSchema,
    CheckInCreateSchema,
    CheckInSchema,
    ListArgsSchema,
    MapArgsSchema,
    PatrolDetailSchema,
    PatrolMapSchema,
    PatrolSchema,
    PointRulesBodySchema,
    PointRulesSchema,
    PointsHeadersSchema,
    PointsSchema,
    PurposesSchema,
    VisitArgsSchema,
    VisitBodySchema,
    VisitHeadersSchema,
    VisitSchema,
    WorkerStatsArgsSchema,
    WorkerStatsExportArgsSchema,
    WorkerStatsSchema,
    WorkLogBodySchema,
    WorkLogSchema,
)
from server.timeutil import SHANGHAI

blp = Blueprint("patrols", __name__, url_prefix="/api/v1", description="巡查与签到")


def _window(args):
    start = datetime.combine(args["from_"], time(0), SHANGHAI) if args.get("from_") else None
    end = datetime.combine(args["to"] + timedelta(days=1), time(0), SHANGHAI) if args.get("to") else None
    return start, end


@blp.route("/patrols")
class Patrols(MethodView):
    @blp.secured(403)
    @blp.arguments(ListArgsSchema(), location="query")
    @blp.response(200, PatrolSchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, args):
        """Patrols with their figures: one's own; a supervisor's or dispatcher's region."""
        start, end = _window(args)
        return service.list_patrols(principal=authenticate(), worker=args.get("worker"),
                                    start=start, end_=end)

    @blp.secured(403, 409)
    @blp.response(201, PatrolDetailSchema)
    def post(self):
        """Start a patrol (grid workers); one open patrol each (409 `patrol_open`)."""
        return service.start(principal=authenticate())


@blp.route("/patrols/map")
class PatrolMap(MethodView):
    @blp.secured(403)
    @blp.arguments(MapArgsSchema(), location="query")
    @blp.response(200, PatrolMapSchema)
    def get(self, args):
        """A day's patrol tracks and each worker's last position, as GeoJSON (the supervisor's
        map)."""
        return service.day_map(principal=authenticate(), day=args.get("day"),
                               region=args.get("region"))


@blp.route("/patrols/<objectid:patrol_id>")
class PatrolItem(MethodView):
    @blp.secured(403, 404)
    @blp.response(200, PatrolDetailSchema)
    def get(self, patrol_id):
        """A patrol: figures, the track as GeoJSON, the cases reported on it."""
        return service.get(principal=authenticate(), patrol_id=patrol_id)


@blp.route("/patrols/<objectid:patrol_id>/points")
class PatrolPoints(MethodView):
    body_limit_setting = "MAX_POINTS_BYTES"  # 1 MB: up to 5,000 positions

    @blp.secured(403, 404, 409, 413)
    @blp.arguments(PointsHeadersSchema(), location="headers")
    @blp.arguments(PointsSchema())
    @blp.response(201, BatchSchema)
    @blp.alt_response(200, schema=BatchSchema, description="The same batch again (replay)",
                      success=True)
    def post(self, headers, body, patrol_id):
        """Positions of one's open patrol, in a batch of at most 5,000 (1 MB) with an
        Idempotency-Key; untrustworthy positions are kept, flagged and not counted."""
        summary, created = service.add_points(principal=authenticate(), patrol_id=patrol_id,
                                              key=headers["idempotency_key"], points=body["points"])
        return summary, (201 if created else 200)


@blp.route("/patrols/<objectid:patrol_id>/end")
class PatrolEnd(MethodView):
    @blp.secured(403, 404, 409)
    @blp.response(200, PatrolDetailSchema)
    def post(self, patrol_id):
        """End one's open patrol: figures recounted, the track simplified."""
        return service.end(principal=authenticate(), patrol_id=patrol_id)


@blp.route("/checkins")
class CheckIns(MethodView):
    @blp.secured(403)
    @blp.arguments(ListArgsSchema(), location="query")
    @blp.response(200, CheckInSchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, args):
        """Check-ins: one's own; a supervisor's or dispatcher's region."""
        return checkins.list_checkins(principal=authenticate(), worker=args.get("worker"),
                                      start=args.get("from_"), end=args.get("to"))

    @blp.secured(403)
    @blp.arguments(CheckInCreateSchema())
    @blp.response(201, CheckInSchema)
    @blp.alt_response(200, schema=CheckInSchema, description="Already checked into this grid today",
                      success=True)
    def post(self, data):
        """Check in (签到, grid workers) where the phone is: inside an own grid or within the
        tolerance of one, else 422 `outside_own_grids` with the nearest own grid."""
        checkin, created = checkins.check_in(principal=authenticate(), data=data)
        return checkin, (201 if created else 200)


@blp.route("/worklogs")
class WorkLogs(MethodView):
    @blp.secured(403)
    @blp.arguments(ListArgsSchema(), location="query")
    @blp.response(200, WorkLogSchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, args):
        """Work logs (工作日志): one's own; a supervisor's or dispatcher's region."""
        return records.list_logs(principal=authenticate(), worker=args.get("worker"),
                                 start=args.get("from_"), end=args.get("to"))


@blp.route("/worklogs/<isodate:day>")
class WorkLogDay(MethodView):
    @blp.secured(403)
    @blp.arguments(WorkLogBodySchema())
    @blp.response(201, WorkLogSchema)
    @blp.alt_response(200, schema=WorkLogSchema, description="The day's log rewritten", success=True)
    def put(self, body, day):
        """Write one's work log of today (grid workers): text, photos, patrols and cases; a
        log of another day is 422 `log_not_today`."""
        log, created = records.put_log(principal=authenticate(), day=day, data=body)
        return log, (201 if created else 200)


@blp.route("/visits")
class Visits(MethodView):
    @blp.secured(403)
    @blp.arguments(VisitArgsSchema(), location="query")
    @blp.response(200, VisitSchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, args):
        """Visits (走访): one's own; a supervisor's or dispatcher's region (households masked
        without pii:read)."""
        return records.list_visits(principal=authenticate(), worker=args.get("worker"),
                                   start=args.get("from_"), end=args.get("to"),
                                   purpose=args.get("purpose"))

    @blp.secured(403)
    @blp.arguments(VisitHeadersSchema(), location="headers")
    @blp.arguments(VisitBodySchema())
    @blp.response(201, VisitSchema)
    @blp.alt_response(200, schema=VisitSchema, description="Idempotent replay", success=True)
    def post(self, headers, body):
        """File a visit (grid workers): the household or place, why, notes, photos, where, and
        a follow-up case; honours Idempotency-Key."""
        visit, created = records.file_visit(principal=authenticate(), data=body,
                                            idempotency_key=headers.get("idempotency_key"))
        return visit, (201 if created else 200)


@blp.route("/visit-purposes")
class VisitPurposes(MethodView):
    @blp.secured()
    @blp.response(200, PurposesSchema)
    def get(self):
        """What a visit may be for (GRIDHUB_VISIT_PURPOSES)."""
        return {"purposes": records.purposes()}


@blp.route("/stats/workers")
class WorkerStats(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(WorkerStatsArgsSchema(), location="query")
    @blp.response(200, WorkerStatsSchema)
    def get(self, args):
        """Per-worker assessment (考核): patrols, coverage, check-ins, events, visits, logs and
        points over a period; per worker (ranked in each town), community or town."""
        return assessment.workers(principal=authenticate(), args=args)


@blp.route("/stats/workers/export")
class WorkerStatsExport(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(WorkerStatsExportArgsSchema(), location="query")
    @blp.response(200, description="CSV or XLSX with Chinese headers")
    def get(self, args):
        """The assessment as a file (the same rows)."""
        body, mimetype, filename = assessment.export(principal=authenticate(), args=args)
        return Response(body, mimetype=mimetype,
                        headers={"Content-Disposition": f"attachment; filename={filename}"})


@blp.route("/point-rules/<county>")
class PointRulesItem(MethodView):
    @blp.secured(403)
    @blp.response(200, PointRulesSchema)
    def get(self, county):
        """A county's points rules (积分), every version by the day it takes effect."""
        return assessment.rules_of(county=county)

    @blp.secured(403, 404, 409)
    @blp.arguments(PointRulesBodySchema())
    @blp.response(200, PointRulesSchema)
    def put(self, body, county):
        """Add (or, before it takes effect, change) a version of a county's points rules."""
        return assessment.put_rules(principal=authenticate(), county=county,
                                    effective_from=body["effective_from"], rules=body["rules"])
