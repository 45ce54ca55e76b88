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
from workflows import case_machine as machine


def upload(*, principal: Principal, data: bytes):
    """Store a photo uploaded ahead of the report that will reference it."""
    enforce("RATE_LIMIT_UPLOADS", principal.key)
    return attachments.store(owner=principal.key, data=data)


def add_attachment(*, principal: Principal, case_id: ObjectId, data: bytes):
    """Upload a photo straight onto a visible, open case (e.g. a handling result)."""
    enforce("RATE_LIMIT_UPLOADS", principal.key)
    case = get(principal=principal, case_id=case_id)
    if machine.State(case.status) not in machine.OPEN_STATES:
        raise Conflict("案件已办结，不能再添加图片", reason="case_closed")
    if len(case.attachments) >= attachments.MAX_PER_CASE * 3:
        raise Unprocessable("该案件的图片已达上限", reason="too_many_attachments")
    stored = attachments.store(owner=principal.key, data=data, case_id=case.id)
    Case.objects(id=case.id).update_one(add_to_set__attachments=str(stored.id))
    return stored


def get_attachment(*, principal: Principal, attachment_id: ObjectId):
    """An attachment the principal may see: its uploader's, or one on a case they may see."""
    found = attachments.Attachment.objects(id=attachment_id).first()
    if found is not None:
        if found.case is None and found.owner == principal.key:
            return found
        if found.case is not None and Case.objects(
                Q(id=found.case) & scope_filter(principal)).only("id").first():
            return found
    raise NotFound("图片不存在", reason="not_found")
