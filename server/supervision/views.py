from __future__ import annotations

from flask import Response
from flask.views import MethodView

from server.auth.principals import authenticate
from server.extensions.api import Blueprint, Page
from server.supervision import board, callbacks, hotspots, stats
from server.supervision.schemas import (
    BoardArgsSchema,
    BoardCountsSchema,
    BoardItemSchema,
    CallbackArgsSchema,
    CallbackDoneSchema,
    CallbackSchema,
    ExportArgsSchema,
    HotspotsSchema,
    PeriodArgsSchema,
    StatsArgsSchema,
    StatsSchema,
)

blp = Blueprint("supervision", __name__, url_prefix="/api/v1", description="督办与指标")


@blp.route("/supervision/board")
class Board(MethodView):
    @blp.secured(403)
    @blp.arguments(BoardArgsSchema(), location="query")
    @blp.response(200, BoardItemSchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, filters):
        """Open cases with running SLA clocks in the caller's scope, red first, then least time."""
        return board.board(principal=authenticate(), filters=filters)


@blp.route("/supervision/board/counts")
class BoardCounts(MethodView):
    @blp.secured(403)
    @blp.arguments(BoardArgsSchema(), location="query")
    @blp.response(200, BoardCountsSchema)
    def get(self, filters):
        """How many of the board's cases show each light (red, yellow, green, paused)."""
        return board.counts(principal=authenticate(), filters=filters)


@blp.route("/supervision/callbacks")
class Callbacks(MethodView):
    @blp.secured(403)
    @blp.arguments(CallbackArgsSchema(), location="query")
    @blp.response(200, CallbackSchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, args):
        """回访 tasks opened by 不满意 evaluations in the caller's region, soonest due first."""
        return callbacks.listed(principal=authenticate(), status=args["status"])


@blp.route("/supervision/callbacks/<objectid:callback_id>/done")
class CallbackDone(MethodView):
    @blp.secured(403, 404, 409)
    @blp.arguments(CallbackDoneSchema())
    @blp.response(200, CallbackSchema)
    def post(self, body, callback_id):
        """Record a callback's outcome; `reopened` reopens the case (重办) first."""
        return callbacks.complete(principal=authenticate(), callback_id=callback_id,
                                  outcome=body["outcome"], note=body["note"],
                                  reopen_department=body.get("department"))


@blp.route("/stats/hotspots")
class Hotspots(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(PeriodArgsSchema(), location="query")
    @blp.response(200, HotspotsSchema)
    def get(self, args):
        """Cases per grid in a period (and how many still open), as GeoJSON for a map."""
        return hotspots.hotspots(principal=authenticate(), args=args)


@blp.route("/stats")
class Stats(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(StatsArgsSchema(), location="query")
    @blp.response(200, StatsSchema)
    def get(self, args):
        """The standard indicators of a period (按期处置率, 结案率, 满意率 …), optionally grouped."""
        return stats.stats(principal=authenticate(), args=args)


@blp.route("/stats/export")
class StatsExport(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(ExportArgsSchema(), location="query")
    @blp.response(200, description="CSV or XLSX file with Chinese headers")
    def get(self, args):
        """The indicators as a CSV or XLSX file, the same numbers as /stats."""
        body, mimetype, filename = stats.export(principal=authenticate(), args=args)
        return Response(body, mimetype=mimetype, headers={
            "Content-Disposition": f"attachment; filename={filename}"})
