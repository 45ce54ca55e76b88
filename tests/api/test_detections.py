"""Machine reporters (issue 19): a video-AI platform's detections, per device de-duplicated
into sightings of one open case, filed only above its client's minimum confidence, and filed
into 受理 as its own action above the auto-accept threshold."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.auth.models import Client
from server.auth.tokens import issue_access_token
from server.cases.models import Case
from tests.cases import IN_GRID, case_body
from tests.conftest import ApiClient


@pytest.fixture
def camera(app, demo):
    """`camera(**rules)`: a video-AI platform with cases:write and these detection rules."""
    def make(**rules):
        platform = Client(name="乳山视频AI平台", scopes=["cases:write", "cases:read"],
                          detection=rules).save()
        token = issue_access_token(subject=f"client:{platform.id}", claims={
            "roles": ["client"], "scope": "cases:write cases:read", "name": platform.name})[0]
        return ApiClient(app.test_client(), token)
    return make


def snapshot(client):
    image = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 120, 120)).save(image, "JPEG")
    image.seek(0)
    return client.post("/api/v1/attachments", data={"file": (image, "frame.jpg")},
                       content_type="multipart/form-data").json["id"]


def detect(client, device="cam-07", confidence=0.9, offset_m=0.0, **extra):
    body = case_body(category="0102", description="AI识别：暴露垃圾", device=device,
                     confidence=confidence, location={"lat": IN_GRID["lat"] + offset_m / 111_320,
                                                      "lng": IN_GRID["lng"]}, **extra)
    return client.post("/api/v1/cases", json=body)


def test_repeated_detections_of_one_device_are_sightings_of_one_case(camera):
    client = camera()
    first = detect(client, attachments=[snapshot(client)])
    later = snapshot(client)
    again = detect(client, offset_m=20, attachments=[later])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"] and Case.objects.count() == 1
    stored = Case.objects.get()
    assert stored.machine["sightings"] == 2 and stored.machine["device"] == "cam-07"
    assert stored.machine["last_snapshot"] == later


def test_another_device_or_a_farther_point_files_a_new_case(camera):
    client = camera(radius_m=50)
    detect(client)
    assert detect(client, device="cam-08").status_code == 201
    assert detect(client, offset_m=200).status_code == 201
    assert Case.objects.count() == 3


def test_a_detection_below_the_minimum_confidence_is_not_filed(camera):
    answer = detect(camera(min_confidence=0.6), confidence=0.4)
    assert answer.status_code == 422 and answer.json["errors"]["reason"] == "below_confidence"
    assert Case.objects.count() == 0


def test_a_confident_detection_is_filed_into_accepted_as_the_clients_action(camera):
    answer = detect(camera(auto_accept=0.85), confidence=0.93)
    assert answer.status_code == 201 and answer.json["status"] == "accepted"
    accept = Case.objects.get().history[-1]
    assert accept["action"] == "accept" and accept["actor"]["key"].startswith("client:")


def test_a_detection_under_the_auto_accept_threshold_waits_for_the_dispatcher(camera):
    assert detect(camera(auto_accept=0.95), confidence=0.9).json["status"] == "reported"


def test_staff_see_the_detection_and_its_sightings(camera, as_user):
    client = camera()
    case = detect(client).json
    detect(client)
    machine = as_user("dispatcher").get(f"/api/v1/cases/{case['id']}").json["machine"]
    assert machine["device"] == "cam-07" and machine["sightings"] == 2


def test_people_may_not_send_detection_fields(demo, as_user):
    answer = as_user("gridworker").post("/api/v1/cases", json=case_body(device="cam-07"))
    assert answer.status_code == 422 and answer.json["errors"]["reason"] == "machine_fields_for_clients"


@pytest.mark.parametrize("confidence", [-0.1, 1.5, "0.9"])
def test_a_confidence_outside_0_to_1_or_not_a_number_is_422(camera, confidence):
    assert detect(camera(), confidence=confidence).status_code == 422


def test_detection_rules_are_validated_when_set(demo, as_user):
    platform = Client(name="IoT", scopes=["cases:write"]).save()
    admin = as_user("platform")
    bad = admin.patch(f"/api/v1/clients/{platform.id}", json={"detection": {
        "min_confidence": 0.8, "auto_accept": 0.5}})
    assert bad.status_code == 422
    good = admin.patch(f"/api/v1/clients/{platform.id}", json={"detection": {"min_confidence": 0.5}})
    assert good.status_code == 200 and good.json["detection"]["window_minutes"] == 30
