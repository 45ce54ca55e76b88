"""Photos of cases: uploaded ahead of a report, added to an open case, read by who may see
the case. Uploads are limited per principal (GRIDHUB_RATE_LIMIT_UPLOADS)."""

from __future__ import annotations

from bson import ObjectId
from mongoengine import Q

from server.auth.principals import Principal
from server.cases import attachments
from server.cases.models import Case
from server.cases.reading import get
from server.cases.scope import scope_filter
from server.errors import Conflict, NotFound, Unprocessable
from server.extensions.limits import enforce
from server.patrols.service import scope_filter as record_scope
from workflows import case_machine as machine

PER_CASE = attachments.MAX_PER_CASE * 3  # a report's photos, the handling's and the verification's


def upload(*, principal: Principal, data: bytes):
    """Store a photo uploaded ahead of the report that will reference it."""
    enforce("RATE_LIMIT_UPLOADS", principal.key)
    return attachments.store(owner=principal.key, data=data)


def discard_unfiled(photo: attachments.Attachment) -> None:
    """Remove a photo uploaded with a report that was refused (it names no case yet)."""
    if photo.case is None:
        attachments.discard(photo)


def add_attachment(*, principal: Principal, case_id: ObjectId, data: bytes):
    """Upload a photo straight onto a visible, open case (e.g. a handling result)."""
    enforce("RATE_LIMIT_UPLOADS", principal.key)
    case = get(principal=principal, case_id=case_id)
    _check_room(case)  # answered before the photo is processed, in the common case
    stored = attachments.store(owner=principal.key, data=data, case_id=case.id)
    # The limit and the state are conditions of the one write that takes the slot: two uploads
    # racing for the last slot cannot both get it, nor one land on a case closed meanwhile.
    taken = Case._get_collection().update_one(
        {"_id": case.id, "status": {"$in": [state.value for state in machine.OPEN_STATES]},
         f"attachments.{PER_CASE - 1}": {"$exists": False}},
        {"$addToSet": {"attachments": str(stored.id)},
         "$set": {f"photo_stages.{stored.id}": "supplement"}})
    if not taken.matched_count:
        attachments.discard(stored)
        _check_room(Case.objects(id=case.id).only("status", "attachments").get())
        raise Conflict("案件已被他人同时修改，请重试", reason="version_conflict")  # pragma: no cover
    return stored


def _check_room(case: Case) -> None:
    if machine.State(case.status) not in machine.OPEN_STATES:
        raise Conflict("案件已办结，不能再添加图片", reason="case_closed")
    if len(case.attachments) >= PER_CASE:
        raise Unprocessable("该案件的图片已达上限", reason="too_many_attachments")


def get_attachment(*, principal: Principal, attachment_id: ObjectId):
    """An attachment the principal may see: its uploader's, or one on a case they may see."""
    found = attachments.Attachment.objects(id=attachment_id).first()
    if found is not None:
        if found.case is None and found.owner == principal.key:
            return found
        if found.record is not None and attachments.Attachment.objects(
                Q(id=found.id) & record_scope(principal)).only("id").first():
            return found  # a work log's or a visit's, in the reader's scope
        if found.case is not None and Case.objects(
                Q(id=found.case) & scope_filter(principal)).only("id").first():
            return found
    raise NotFound("图片不存在", reason="not_found")
