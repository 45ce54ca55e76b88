"""Open311 beyond the core (issue 19): servicerequestupdates (FixMyStreet's extension), notes
with extensions=true, and a photo posted with a request as multipart `media`."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from PIL import Image

from server.cases import attachments, service
from server.cases.attachments import Attachment
from server.cases.models import Case
from tests.clock import iso_from_now
from tests.factories import principal_of
from tests.open311.conftest import BASE


def walk(code, *steps):
    case = Case.objects.get(code=code)
    for username, action, payload in steps:
        service.apply_transition(principal=principal_of(username), case_id=case.id, action=action,
                                 payload=payload)


def posted(post):
    return post().json[0]["service_request_id"]


def test_updates_since_a_time_list_each_public_step_in_plain_chinese(post, reader):
    code = posted(post)
    walk(code, ("dispatcher", "accept", {}),
         ("dispatcher", "dispatch", {"department": "371083-cgj", "note": "内部：优先处理",
                                     "note_visibility": "internal"}))
    updates = reader.get(f"{BASE}/servicerequestupdates.json",
                         {"start_date": iso_from_now(minutes=-5)}).json
    assert [u["update_id"] for u in updates] == [f"{code}-1", f"{code}-2", f"{code}-3"]
    assert [u["description"] for u in updates] == [
        "您的诉求已提交，等待受理", "已受理，正在安排处置部门", "已派遣至乳山市城市管理局"]
    assert {u["status"] for u in updates} == {"open"} and "内部" not in str(updates)


def test_updates_are_served_as_xml_under_their_own_elements(post, reader):
    posted(post)
    root = ET.fromstring(reader.get(f"{BASE}/servicerequestupdates.xml",
                                    {"start_date": iso_from_now(minutes=-5)}).data)
    assert root.tag == "service_request_updates" and root[0].tag == "request_update"


def test_updates_need_a_start_date_and_a_window_of_at_most_31_days(reader):
    assert reader.get(f"{BASE}/servicerequestupdates.json").status_code == 400
    wide = reader.get(f"{BASE}/servicerequestupdates.json", {
        "start_date": iso_from_now(days=-40), "end_date": iso_from_now(days=0)})
    assert wide.status_code == 400 and "31" in wide.json[0]["description"]


def test_a_request_read_with_extensions_carries_its_notes(post, reader):
    code = posted(post)
    walk(code, ("dispatcher", "reject", {"reason": "不属于城市管理范围"}))
    request, = reader.get(f"{BASE}/requests/{code}.json", {"extensions": "true"}).json
    assert [n["description"] for n in request["notes"]] == [
        "您的诉求已提交，等待受理", "不予受理：不属于城市管理范围"]
    assert request["notes"][-1]["status"] == "closed"
    plain, = reader.get(f"{BASE}/requests/{code}.json").json
    assert "notes" not in plain


def test_a_photo_posted_as_media_is_stored_without_its_exif_and_attached(client, key):
    image = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 60)).save(image, "JPEG", exif=b"Exif\x00\x00MM\x00*")
    image.seek(0)
    answer = client.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "0102", "lat": "36.915", "long": "121.525",
        "description": "路边垃圾", "media": (image, "scene.jpg", "image/jpeg")},
        content_type="multipart/form-data")
    assert answer.status_code == 201, answer.json
    case = Case.objects.get(code=answer.json[0]["service_request_id"])
    stored = Attachment.objects.get(id=case.attachments[0])
    assert stored.case == case.id
    assert not Image.open(io.BytesIO(attachments.read(stored))).getexif()


def test_the_photo_of_a_request_refused_after_its_upload_is_not_kept(client, key):
    image = io.BytesIO()
    Image.new("RGB", (64, 64), (90, 140, 60)).save(image, "JPEG")
    image.seek(0)
    answer = client.post(f"{BASE}/requests.json", data={  # in the sea, outside every grid
        "api_key": key, "service_code": "0102", "lat": "36.5", "long": "122.5",
        "media": (image, "scene.jpg", "image/jpeg")}, content_type="multipart/form-data")
    assert 400 <= answer.status_code < 500 and answer.json[0]["description"]
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0


def test_media_that_is_not_an_image_is_a_georeport_400(client, key):
    answer = client.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "0102", "lat": "36.915", "long": "121.525",
        "media": (io.BytesIO(b"%PDF-1.4 not a photo"), "scan.pdf", "application/pdf")},
        content_type="multipart/form-data")
    assert 400 <= answer.status_code < 500 and answer.json[0]["description"]
    assert Case.objects.count() == 0
