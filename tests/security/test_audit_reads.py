"""Finding 14 of the security review: what docs/INTEGRATION.md promises — every call a sister
app makes that changes something is in the audit trail, Open311 included — and reads of
personal or bulk data (look-ups by phone, a user's record, exports, photo downloads) are too."""

from __future__ import annotations

import io

from PIL import Image

from server.audit.models import AuditEntry
from server.demo import DEMO_RESIDENT_PHONE
from server.extensions.queries import starts_with
from tests.cases import IN_GRID
from tests.factories import platform_admin


def entries(action_prefix):
    return list(AuditEntry.objects(starts_with("action", action_prefix)))


def test_an_open311_post_is_audited_with_the_sister_app(as_user, anonymous):
    admin = as_user("platform")
    app_id = admin.post("/api/v1/clients", json={"name": "热线", "scopes": ["cases:write"]}).json["id"]
    key = admin.post(f"/api/v1/clients/{app_id}/api-key").json["api_key"]
    anonymous.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "0102", "lat": str(IN_GRID["lat"]),
        "long": str(IN_GRID["lng"]), "description": "垃圾"})
    (entry,) = entries("POST /open311/")
    assert (entry.client, entry.actor, entry.result) == (app_id, f"client:{app_id}", "success")


def test_a_lookup_by_phone_is_audited_without_the_number(as_user):
    as_user("dispatcher").get("/api/v1/cases", query_string={"reporter_phone": DEMO_RESIDENT_PHONE})
    (entry,) = entries("GET /api/v1/cases")
    assert entry.detail["query"] == ["reporter_phone"]
    assert DEMO_RESIDENT_PHONE not in str(entry.to_mongo())


def test_a_user_search_by_phone_is_audited(as_user):
    operator = platform_admin()
    as_user(operator.username).get("/api/v1/users", query_string={"phone": DEMO_RESIDENT_PHONE})
    assert len(entries("GET /api/v1/users")) == 1


def test_an_ordinary_case_list_is_not_audited(as_user):
    as_user("dispatcher").get("/api/v1/cases")
    assert entries("GET ") == []


def test_an_export_is_audited(as_user):
    as_user("supervisor").get("/api/v1/stats/export", query_string={"format": "csv"})
    (entry,) = entries("GET /api/v1/stats/export")
    assert entry.status == 200


def test_a_photo_download_is_audited(as_user):
    resident = as_user("resident")
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, format="JPEG")
    photo = resident.post("/api/v1/attachments", data={"file": (io.BytesIO(out.getvalue()), "p.jpg")},
                          content_type="multipart/form-data").json
    resident.get(f"/api/v1/attachments/{photo['id']}")
    (entry,) = entries("GET /api/v1/attachments")
    assert entry.target == f"attachment_id:{photo['id']}"
