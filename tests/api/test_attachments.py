"""Photos: content checks, EXIF stripping, thumbnails, who may read them."""

import io

import pytest
from bson import ObjectId
from PIL import Image

from server.cases.attachments import Attachment
from tests.cases import case_body
from tests.factories import CaseFactory

GPS_IFD = 0x8825


def image_bytes(fmt="JPEG", size=(800, 600), gps=False) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    out = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (36.0, 54.0, 36.0), 3: "E", 4: (121.0, 31.0, 0.0)})
    image.save(out, format=fmt, exif=exif.tobytes() if gps else b"")
    return out.getvalue()


def upload(client, data: bytes, filename="photo.jpg", path="/api/v1/attachments"):
    return client.post(path, data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_is_accepted_in_each_supported_format(as_user, fmt):
    response = upload(as_user("gridworker"), image_bytes(fmt))
    assert response.status_code == 201
    assert response.json["content_type"] == f"image/{fmt.lower()}"
    assert (response.json["width"], response.json["height"]) == (800, 600)


def test_exif_and_gps_are_stripped_from_the_stored_photo(as_user):
    client = as_user("gridworker")
    assert Image.open(io.BytesIO(image_bytes(gps=True))).getexif().get_ifd(GPS_IFD)
    photo_id = upload(client, image_bytes(gps=True)).json["id"]
    stored = client.get(f"/api/v1/attachments/{photo_id}").data
    exif = Image.open(io.BytesIO(stored)).getexif()
    assert not exif.get_ifd(GPS_IFD)
    assert 0x010F not in exif


def test_the_thumbnail_is_at_most_320_pixels(as_user):
    client = as_user("gridworker")
    photo_id = upload(client, image_bytes(size=(1600, 900))).json["id"]
    thumb = Image.open(io.BytesIO(client.get(f"/api/v1/attachments/{photo_id}/thumbnail").data))
    assert max(thumb.size) == 320


@pytest.mark.parametrize("data", [b"%PDF-1.4 not an image", b"", b"\xff\xd8\xff\xe0garbage",
                                  b"GIF89a" + b"\x00" * 20])
def test_a_file_that_is_not_a_supported_image_is_422(as_user, data):
    response = upload(as_user("gridworker"), data)
    assert response.status_code == 422
    assert response.json["errors"]["reason"] in ("invalid_image", "unsupported_image")
    assert Attachment.objects.count() == 0


def test_a_real_gif_is_refused_as_unsupported(as_user):
    response = upload(as_user("gridworker"), image_bytes("GIF"))
    assert response.json["errors"]["reason"] == "unsupported_image"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_decompression_bomb_is_refused(app, as_user):
    bomb = io.BytesIO()
    Image.new("L", (10_000, 10_000)).save(bomb, format="PNG")  # tiny file, 100 MP
    response = upload(as_user("gridworker"), bomb.getvalue(), "bomb.png")
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "image_too_large"


def test_an_upload_over_the_size_limit_is_413(app, as_user):
    big = b"\xff\xd8" + b"\x00" * (app.config["MAX_UPLOAD_BYTES"] + 100)
    response = upload(as_user("gridworker"), big)
    assert response.status_code == 413
    assert Attachment.objects.count() == 0


def test_an_upload_without_the_file_field_is_422(as_user):
    response = as_user("gridworker").post("/api/v1/attachments", data={"other": "x"},
                                          content_type="multipart/form-data")
    assert response.status_code == 422


def test_a_json_body_on_the_upload_endpoint_is_415(as_user):
    response = as_user("gridworker").post("/api/v1/attachments", json={"file": "x"})
    assert response.status_code == 415


def test_an_unattached_photo_is_visible_only_to_its_uploader(as_user):
    photo_id = upload(as_user("gridworker"), image_bytes()).json["id"]
    assert as_user("dispatcher").get(f"/api/v1/attachments/{photo_id}").status_code == 404


def test_a_report_references_uploaded_photos_and_they_follow_the_case(as_user, report):
    photo_id = upload(as_user("gridworker"), image_bytes()).json["id"]
    case = report("gridworker", attachments=[photo_id])
    assert case["attachments"] == [photo_id]
    assert as_user("dispatcher").get(f"/api/v1/attachments/{photo_id}").status_code == 200
    assert as_user("resident").get(f"/api/v1/attachments/{photo_id}").status_code == 404


def test_a_report_cannot_reference_someone_elses_upload(as_user):
    photo_id = upload(as_user("resident"), image_bytes()).json["id"]
    response = as_user("gridworker").post("/api/v1/cases", json=case_body(attachments=[photo_id]))
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "invalid_attachments"


def test_a_handler_uploads_a_result_photo_onto_the_case_and_cites_it(as_user, case_in, transition):
    case = case_in("in_progress")
    photo = upload(as_user("handler"), image_bytes(), path=f"/api/v1/cases/{case['id']}/attachments")
    assert photo.status_code == 201
    response = transition(case["id"], "handler",
                          {"action": "handle", "result": "已清理", "attachments": [photo.json["id"]]})
    assert response.status_code == 200
    assert photo.json["id"] in response.json["attachments"]


def test_photos_cannot_be_added_to_a_closed_case(as_user, case_in):
    case = case_in("closed")
    response = upload(as_user("dispatcher"), image_bytes(),
                      path=f"/api/v1/cases/{case['id']}/attachments")
    assert response.status_code == 409


def test_uploads_racing_for_a_cases_last_photo_slot_get_it_once(as_user, case_in):
    from concurrent.futures import ThreadPoolExecutor

    from server.cases.models import Case
    from server.cases.photos import PER_CASE

    case = case_in("in_progress")
    Case.objects(id=case["id"]).update_one(set__attachments=[str(ObjectId())
                                                             for _ in range(PER_CASE - 1)])
    clients = [as_user("handler") for _ in range(4)]
    path = f"/api/v1/cases/{case['id']}/attachments"
    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(lambda c: upload(c, image_bytes(), path=path).status_code, clients))
    assert codes == [201, 422, 422, 422]
    assert len(Case.objects.get(id=case["id"]).attachments) == PER_CASE
    assert Attachment.objects(case=case["id"]).count() == 1  # the losers' photos are not kept


def test_the_reporter_sees_their_photo_as_before_and_the_handlers_as_after(as_user, transition):
    before = upload(as_user("resident"), image_bytes()).json["id"]
    case = CaseFactory(reporter="resident", in_progress=True, attachments=[before])
    after = upload(as_user("handler"), image_bytes(), path=f"/api/v1/cases/{case['id']}/attachments")
    transition(case["id"], "handler",
               {"action": "handle", "result": "已清理", "attachments": [after.json["id"]]})
    resident = as_user("resident")
    photos = resident.get(f"/api/v1/cases/{case['id']}").json["photos"]
    assert photos == [{"id": before, "stage": "before", "label": "上报"},
                      {"id": after.json["id"], "stage": "after", "label": "处置"}]
    assert all(resident.get(f"/api/v1/attachments/{p['id']}").status_code == 200 for p in photos)


def test_a_photo_added_to_a_case_and_not_cited_is_labelled_as_added(as_user, case_in):
    case = case_in("in_progress")
    added = upload(as_user("handler"), image_bytes(), path=f"/api/v1/cases/{case['id']}/attachments")
    photos = as_user("dispatcher").get(f"/api/v1/cases/{case['id']}").json["photos"]
    assert photos == [{"id": added.json["id"], "stage": "added", "label": "补充"}]
