from __future__ import annotations

import re

from flask import Response, request
from flask.views import MethodView

from server.auth.principals import authenticate
from server.cases import photos, reading, service, timeline
from server.cases.attachments import read
from server.cases.schemas import (
    ActionsSchema,
    AttachmentSchema,
    CaseCreateSchema,
    CaseListArgsSchema,
    CaseSchema,
    HistoryEntrySchema,
    NearbyArgsSchema,
    NearbyCaseSchema,
    TimelineSchema,
    TransitionSchema,
    UploadSchema,
)
from server.errors import Unprocessable
from server.extensions.api import Blueprint, Page
from workflows.case_machine import describe

blp = Blueprint("cases", __name__, url_prefix="/api/v1", description="案件（事件/诉求/工单）")

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


def _etag(case) -> dict[str, str]:
    return {"ETag": f'"{case.version}"'}


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
    @blp.arguments(CaseCreateSchema())
    @blp.response(201, CaseSchema)
    @blp.alt_response(200, schema=CaseSchema, description="Idempotent replay", success=True)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string", "maxLength": 128}}])
    def post(self, data):
        """Report a case (grid worker or resident); honours Idempotency-Key."""
        key = request.headers.get("Idempotency-Key")
        if key is not None and not _IDEMPOTENCY_KEY.match(key):
            raise Unprocessable("Idempotency-Key 须为 1–128 个可见 ASCII 字符",
                                reason="invalid_idempotency_key")
        case, created = service.report(principal=authenticate(), data=data, idempotency_key=key)
        return case, (201 if created else 200), _etag(case)


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
    @blp.response(200, CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})
    def get(self, case_id):
        """Read one case; the ETag is its version."""
        case = reading.read(principal=authenticate(), case_id=case_id)
        return case, 200, _etag(case)


@blp.route("/cases/<objectid:case_id>/transitions")
class Transitions(MethodView):
    @blp.secured(403, 404, 409, 412, 413, 415)
    @blp.arguments(TransitionSchema())
    @blp.response(200, CaseSchema)
    @blp.doc(parameters=[{"in": "header", "name": "If-Match", "required": False,
                          "schema": {"type": "string"}}])
    def post(self, body, case_id):
        """Apply a workflow action (accept, dispatch, sign, handle, verify_pass …)."""
        if_match = None
        if request.headers.get("If-Match"):
            etags = request.if_match
            if_match = etags.as_set(include_weak=True) | ({"*"} if etags.star_tag else set())
        action = body.pop("action")
        case = service.apply_transition(principal=authenticate(), case_id=case_id, action=action,
                                        payload=body, if_match=if_match)
        return case, 200, _etag(case)


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
