"""Finding 8 of the security review: an upload cannot cost the server more than a photo should
— pixel cap at the header, JPEGs decoded at a reduced scale, decodes bounded per process,
uploads limited per principal, and uploads never attached removed after a day."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from PIL import Image

from server.cases import attachments
from server.cases.attachments import Attachment, remove_orphans
from tests.clock import from_now


def encoded(size, fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, format=fmt)
    return out.getvalue()


def upload(client, data, filename="p.png"):
    return client.post("/api/v1/attachments", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_a_small_file_of_too_many_pixels_is_refused_before_decoding(as_user):
    bomb = encoded((6300, 6300))  # about 130 KB, 39.7 MP
    assert len(bomb) < 400_000
    response = upload(as_user("resident"), bomb)
    assert response.status_code == 422 and response.json["errors"]["reason"] == "image_too_large"


def test_a_large_jpeg_is_stored_at_most_4096_pixels_a_side(as_user):
    response = upload(as_user("resident"), encoded((5600, 4200), "JPEG"), "p.jpg")
    assert response.status_code == 201
    assert max(response.json["width"], response.json["height"]) <= attachments.MAX_SIDE


def test_uploads_are_limited_per_principal(as_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_UPLOADS", "2/minute")
    resident = as_user("resident")
    codes = [upload(resident, encoded((64, 64))).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_an_upload_finding_no_decoding_slot_is_told_to_retry(as_user, monkeypatch):
    monkeypatch.setattr(attachments, "_decoding", threading.BoundedSemaphore(1))
    # No wait: a timed lock wait never returns under libfaketime (`faketime … make test`).
    monkeypatch.setattr(attachments, "DECODE_WAIT", 0)
    attachments._decoding.acquire()  # another upload is decoding
    response = upload(as_user("resident"), encoded((64, 64)))
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert Attachment.objects.count() == 0


@pytest.fixture
def uploads(as_user):
    resident = as_user("resident")
    return [upload(resident, encoded((64, 64))).json["id"] for _ in range(3)]


def test_uploads_never_attached_are_removed_after_a_day(app, uploads):
    stale, fresh, attached = uploads
    Attachment.objects(id__in=[stale, attached]).update(set__created_at=from_now(days=-2))
    Attachment.objects(id=attached).update(set__case="0" * 24)
    assert remove_orphans(now=from_now()) == 1
    assert {str(a.id) for a in Attachment.objects} == {fresh, attached}


def test_an_orphans_files_go_with_it(app, uploads):
    from mongoengine.connection import get_db
    before = get_db()["files.files"].count_documents({})
    Attachment.objects(id=uploads[0]).update(set__created_at=from_now(days=-1) - timedelta(minutes=1))
    remove_orphans(now=from_now())
    assert get_db()["files.files"].count_documents({}) == before - 2
