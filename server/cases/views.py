from __future__ import annotations

from flask import Response, send_file
from flask.views import MethodView

from server.auth.principals import authenticate
from server.cases import export, following, openapi, photos, reading, service, timeline
from server.cases.attachments import read
from server.cases.schemas import (
    ActionsSchema,
    AttachmentSchema,
    CaseCreateSchema,
    CaseExportArgsSchema,
    CaseListArgsSchema,
    CaseSchema,
    FollowedSchema,
    FollowSchema,
    HistoryEntrySchema,
    NearbyArgsSchema,
    NearbyCaseSchema,
    ReportHeadersSchema,
    TimelineSchema,
    TransitionSchema,
    UploadSchema,
)
from server.extensions.api import Blueprint, Page
from workflows.case_machine import describe

blp = Blueprint("cases", __name__, url_prefix="/api/v1", description="案件（事件/诉求/工单）")

ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "the case's version, quoted"}}


def _upload_bytes(files) -> bytes:
    return files["file"].read()


@blp.route("/cases")
class Cases(MethodView):
    @blp.secured(403, 404, 413, 415)
    @blp.arguments(CaseListArgsSchema(), location="query")
    @blp.response(200, CaseSchema(many=True))
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, filters):
        """List the cases in the caller's data scope."""
        return reading.list_cases(principal=authenticate(), filters=filters)

    @blp.secured(403, 409, 413, 415, 429)
    @blp.arguments(ReportHeadersSchema(), location="headers")
    @blp.arguments(CaseCreateSchema())
    @blp.response(201, CaseSchema, headers=ETAG_HEADER)
    @blp.alt_response(200, schema=CaseSchema, description="Idempotent replay", success=True)
    @blp.versioned
    def post(self, headers, data):
        """Report a case (grid worker or resident); honours Idempotency-Key."""
        case, created = service.report(principal=authenticate(), data=data,
                                       idempotency_key=headers.get("idempotency_key"))
        return case, (201 if created else 200)


@blp.route("/cases/export")
class CasesExport(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(CaseExportArgsSchema(), location="query")
    @blp.response(200, description="CSV (streamed) or XLSX with Chinese headers, at most "
                                   "100,000 rows; 422 `too_many_rows` says how to narrow it")
    def get(self, args):
        """The case list (the same filters) as a file: reporters masked without pii:read."""
        fmt = args.pop("format")
        body, mimetype, filename = export.export_cases(principal=authenticate(), filters=args, fmt=fmt)
        response = send_file(body, mimetype=mimetype, as_attachment=True, download_name=filename)
        response.headers["Cache-Control"] = "no-store"  # personal data stays out of caches
        return response


@blp.route("/cases/follow")
class Follow(MethodView):
    @blp.secured(403, 404, 409)
    @blp.arguments(FollowSchema())
    @blp.response(201, FollowedSchema)
    @blp.alt_response(200, schema=FollowedSchema, description="Already following", success=True)
    def post(self, body):
        """Follow (附议) a nearby case instead of filing a duplicate: its step messages come to
        you too (residents and grid workers)."""
        followed, added = following.follow(principal=authenticate(), ref=body["ref"])
        return followed, (201 if added else 200)


@blp.route("/me/follows")
class Follows(MethodView):
    @blp.secured(403)
    @blp.response(200, FollowedSchema(many=True))
    def get(self):
        """The cases I follow."""
        return following.following(principal=authenticate())


@blp.route("/me/follows/<code>")
class FollowItem(MethodView):
    @blp.secured(403)
    @blp.response(204)
    def delete(self, code):
        """Stop following a case (by its code)."""
        following.unfollow(principal=authenticate(), code=code)


@blp.route("/cases/nearby")
class NearbyCases(MethodView):
    @blp.secured()
    @blp.arguments(NearbyArgsSchema(), location="query")
    @blp.response(200, NearbyCaseSchema(many=True))
    def get(self, args):
        """Open cases of a category near a point (possible duplicates), nearest first."""
        return reading.nearby(principal=authenticate(), lat=args["lat"], lng=args["lng"],
                              system=args["coord_system"], category=args["category"])


@blp.route("/cases/<objectid:case_id>")
class CaseItem(MethodView):
    @blp.secured(404)
    @blp.response(200, CaseSchema, headers=ETAG_HEADER)
    @blp.versioned
    def get(self, case_id):
        """Read one case; the ETag is its version."""
        return reading.read(principal=authenticate(), case_id=case_id)


@blp.route("/cases/<objectid:case_id>/transitions")
class Transitions(MethodView):
    @blp.secured(403, 404, 409, 412, 413, 415)
    @blp.arguments(TransitionSchema())
    @blp.doc(requestBody=openapi.REQUEST_BODY)  # one variant per action (the workflow table)
    @blp.response(200, CaseSchema, headers=ETAG_HEADER)
    @blp.versioned
    def post(self, body, case_id, if_match):
        """Apply a workflow action (accept, dispatch, sign, handle, verify_pass …)."""
        action = body.pop("action")
        return service.apply_transition(principal=authenticate(), case_id=case_id, action=action,
                                        payload=body, if_match=if_match)


@blp.route("/cases/<objectid:case_id>/actions")
class Actions(MethodView):
    @blp.secured(404)
    @blp.response(200, ActionsSchema)
    def get(self, case_id):
        """The actions the caller may take on the case now."""
        case, names = service.allowed(principal=authenticate(), case_id=case_id)
        return {"status": case.status, "version": case.version, "actions": describe(names)}


@blp.route("/cases/<objectid:case_id>/history")
class History(MethodView):
    @blp.secured(404)
    @blp.response(200, HistoryEntrySchema(many=True))
    def get(self, case_id):
        """The case's append-only history, oldest first."""
        return reading.history(principal=authenticate(), case_id=case_id)


@blp.route("/cases/<objectid:case_id>/timeline")
class Timeline(MethodView):
    @blp.secured(404)
    @blp.response(200, TimelineSchema)
    def get(self, case_id):
        """Progress in plain Chinese for the resident: 受理、派遣、处置、结案 with times, what
        happened (newest first) and whether they may evaluate now."""
        return timeline.timeline(principal=authenticate(), case_id=case_id)


@blp.route("/cases/<objectid:case_id>/attachments")
class CaseAttachments(MethodView):
    body_types = ("multipart/form-data",)

    @blp.secured(404, 409, 413, 415)
    @blp.arguments(UploadSchema(), location="files")
    @blp.response(201, AttachmentSchema)
    def post(self, files, case_id):
        """Upload a photo onto a case (JPEG/PNG/WebP, ≤ 10 MB)."""
        return photos.add_attachment(principal=authenticate(), case_id=case_id,
                                      data=_upload_bytes(files))


@blp.route("/attachments")
class Attachments(MethodView):
    body_types = ("multipart/form-data",)

    @blp.secured(413, 415)
    @blp.arguments(UploadSchema(), location="files")
    @blp.response(201, AttachmentSchema)
    def post(self, files):
        """Upload a photo before reporting; reference its id in POST /cases."""
        return photos.upload(principal=authenticate(), data=_upload_bytes(files))


@blp.route("/attachments/<objectid:attachment_id>")
class AttachmentItem(MethodView):
    @blp.secured(404)
    @blp.response(200, description="The photo", content_type="image/jpeg")
    def get(self, attachment_id):
        """Download a photo."""
        found = photos.get_attachment(principal=authenticate(), attachment_id=attachment_id)
        return Response(read(found), mimetype=found.content_type,
                        headers={"Cache-Control": "private, max-age=3600"})


@blp.route("/attachments/<objectid:attachment_id>/thumbnail")
class AttachmentThumbnail(MethodView):
    @blp.secured(404)
    @blp.response(200, description="A 320 px JPEG thumbnail", content_type="image/jpeg")
    def get(self, attachment_id):
        """Download a photo's thumbnail."""
        found = photos.get_attachment(principal=authenticate(), attachment_id=attachment_id)
        return Response(read(found, thumbnail=True), mimetype="image/jpeg",
                        headers={"Cache-Control": "private, max-age=3600"})
