"""Photos: checked by content with Pillow, EXIF stripped, thumbnailed, stored in GridFS."""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import gridfs
from bson import ObjectId
from flask import current_app
from mongoengine import (
    DateTimeField,
    Document,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)
from mongoengine.connection import get_db
from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import NotFound, PayloadTooLarge, ServiceUnavailable, Unprocessable
from server.timeutil import now_utc

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PER_CASE = 9
MAX_SIDE = 4096  # a stored photo's longest side: enough to read a shop sign, bounded to decode
ORPHAN_AFTER = timedelta(days=1)  # an upload no case referenced by then is removed

# Decoding is the expensive part of an upload (memory grows with the pixels): at most this many
# at once in a process; a request that cannot get a slot within DECODE_WAIT is told to retry.
_decoding = threading.BoundedSemaphore(2)
DECODE_WAIT = 10.0


class Attachment(Document):
    owner = StringField(required=True)  # principal key of the uploader
    case = ObjectIdField()  # None until a case references it
    # …or a grid worker's record (issue 18): "worklog:<id>" / "visit:<id>", seen through the
    # record's scope keys (server/patrols/service.py: scope_filter)
    record = StringField()
    scope = ListField(StringField())
    content_type = StringField(required=True, choices=tuple(FORMATS.values()))
    size = IntField(required=True)
    width = IntField(required=True)
    height = IntField(required=True)
    sha256 = StringField(required=True)
    file_id = ObjectIdField(required=True)
    thumbnail_id = ObjectIdField(required=True)
    created_at = DateTimeField(default=now_utc)

    meta = {"collection": "attachments", "indexes": ["case", ("owner", "case"), "record"]}


@dataclass(frozen=True)
class Processed:
    content: bytes
    content_type: str
    width: int
    height: int
    thumbnail: bytes


def process_image(data: bytes, *, max_bytes: int, max_pixels: int, thumb_px: int) -> Processed:
    """Check an upload is a real JPEG/PNG/WebP photo; re-encode it without metadata."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"图片不能超过 {max_bytes // (1024 * 1024)} MB", reason="file_too_large")
    try:
        # Image.open reads only the header: the pixel count is checked before any decoding.
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in FORMATS:
                raise Unprocessable("仅支持 JPEG、PNG、WebP 图片", reason="unsupported_image")
            if probe.width * probe.height > max_pixels:
                raise Unprocessable("图片像素过多", reason="image_too_large")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if fmt == "JPEG":  # decode at a reduced DCT scale: a 50 MP photo never fills memory
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            image.load()
            if max(image.size) > MAX_SIDE:
                image.thumbnail((MAX_SIDE, MAX_SIDE))
            image = ImageOps.exif_transpose(image)
            content = _encode(image, fmt)
            thumb = image.copy()
            thumb.thumbnail((thumb_px, thumb_px))
            thumbnail = _encode(thumb, "JPEG")
    except Image.DecompressionBombError as exc:
        raise Unprocessable("图片像素过多", reason="image_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Unprocessable("文件不是有效的图片", reason="invalid_image") from exc
    return Processed(content, FORMATS[fmt], image.width, image.height, thumbnail)


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Re-encode without EXIF, XMP or ICC-embedded metadata (GPS included)."""
    out = io.BytesIO()
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    options = {"quality": 88} if fmt in ("JPEG", "WEBP") else {}
    clean.save(out, format=fmt, **options)
    return out.getvalue()


def _fs() -> gridfs.GridFS:
    return gridfs.GridFS(get_db(), collection="files")


def _process(data: bytes) -> Processed:
    """`process_image` within the process's decoding slots."""
    config = current_app.config
    if len(data) > config["MAX_UPLOAD_BYTES"]:  # refused before waiting for a slot
        raise PayloadTooLarge(f"图片不能超过 {config['MAX_UPLOAD_BYTES'] // (1024 * 1024)} MB",
                              reason="file_too_large")
    if not _decoding.acquire(timeout=DECODE_WAIT):
        raise ServiceUnavailable("图片处理繁忙，请稍后重试", reason="busy", headers={"Retry-After": "5"})
    try:
        return process_image(data, max_bytes=config["MAX_UPLOAD_BYTES"],
                             max_pixels=config["MAX_IMAGE_PIXELS"], thumb_px=config["THUMBNAIL_PX"])
    finally:
        _decoding.release()


def store(*, owner: str, data: bytes, case_id: ObjectId | None = None) -> Attachment:
    """Process and store one uploaded photo."""
    processed = _process(data)
    fs = _fs()
    stored: list[ObjectId] = []
    try:
        stored.append(fs.put(processed.content, content_type=processed.content_type))
        stored.append(fs.put(processed.thumbnail, content_type="image/jpeg"))
        return Attachment(
            owner=owner, case=case_id, content_type=processed.content_type,
            size=len(processed.content), width=processed.width, height=processed.height,
            sha256=hashlib.sha256(processed.content).hexdigest(), file_id=stored[0],
            thumbnail_id=stored[1],
        ).save(force_insert=True)
    except Exception:
        # No file without its record: remove what was stored (best effort — the storage that
        # just failed may refuse this too).
        for file_id in stored:
            with contextlib.suppress(Exception):
                fs.delete(file_id)
        raise


def discard(attachment: Attachment) -> None:
    """Remove a stored photo that was not taken after all: its record, then its files."""
    attachment.delete()
    for file_id in (attachment.file_id, attachment.thumbnail_id):
        with contextlib.suppress(Exception):  # best effort, as in `store`
            _fs().delete(file_id)


def read(attachment: Attachment, *, thumbnail: bool = False) -> bytes:
    try:
        return _fs().get(attachment.thumbnail_id if thumbnail else attachment.file_id).read()
    except gridfs.NoFile as exc:
        raise NotFound("图片文件不存在", reason="file_missing") from exc


def check_attachable(*, ids: list[str], owner: str, case_id: ObjectId | None,
                     record: str | None = None) -> list[ObjectId]:
    """The ids as ObjectIds, if each is the owner's unattached upload or already on this case
    (or on this record)."""
    if not ids:
        return []
    if len(ids) > MAX_PER_CASE:
        raise Unprocessable(f"图片最多 {MAX_PER_CASE} 张", reason="too_many_attachments")
    oids = [ObjectId(i) for i in dict.fromkeys(ids)]
    found = {
        a.id for a in Attachment.objects(id__in=oids).only("id", "owner", "case", "record")
        if (a.case is None and a.record is None and a.owner == owner)
        or (case_id is not None and a.case == case_id)
        or (record is not None and a.record == record)
    }
    missing = [str(i) for i in oids if i not in found]
    if missing:
        raise Unprocessable("图片不存在或不可引用", reason="invalid_attachments",
                            attachments=missing)
    return oids


def attach(*, ids: list[ObjectId], case_id: ObjectId) -> None:
    """Bind uploaded photos to a case (those already bound are left as they are)."""
    if ids:
        Attachment.objects(id__in=ids, case=None, record=None).update(set__case=case_id)


def attach_to_record(*, ids: list[ObjectId], record: str, scope: list[str]) -> None:
    """Bind uploaded photos to a grid worker's record (a work log, a visit), seen through its
    scope keys."""
    if ids:
        Attachment.objects(id__in=ids, case=None, record=None).update(
            set__record=record, set__scope=scope)


def remove_orphans(*, now: datetime) -> int:
    """Remove the uploads no case referenced within ORPHAN_AFTER (their files first); return
    how many. Each is removed on its own: one that fails is left for the next run."""
    removed = 0
    for orphan in Attachment.objects(case=None, record=None,
                                     created_at__lt=now - ORPHAN_AFTER).only(
            "id", "file_id", "thumbnail_id").limit(10_000):
        try:
            # The record first, and only if still unreferenced (a case may have taken it since
            # it was read); its files once it is gone.
            if Attachment.objects(id=orphan.id, case=None, record=None).delete():
                removed += 1
                for file_id in (orphan.file_id, orphan.thumbnail_id):
                    _fs().delete(file_id)
        except Exception:  # isolate each item, as the SLA sweep does
            current_app.logger.exception("removing orphan upload %s failed", orphan.id)
    return removed
