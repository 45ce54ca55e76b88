"""Devices registered for push: `/me/devices` (DESIGN §8)."""

from __future__ import annotations

import pytest

from server.extensions.queries import starts_with
from server.inbox.devices import MAX_PER_USER
from server.inbox.models import Device

TOKEN = "fcm-token-" + "a" * 40


@pytest.fixture
def register(as_user):
    def register_(username="handler", token=TOKEN, platform="android"):
        return as_user(username).post("/api/v1/me/devices", json={"platform": platform, "token": token})
    return register_


def test_registering_a_device_answers_201_with_its_id(register):
    response = register()
    assert response.status_code == 201
    assert response.json["platform"] == "android" and response.json["token"] == TOKEN


def test_registering_the_same_token_again_refreshes_it_instead_of_duplicating(register):
    first = register()
    again = register(platform="harmony")
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert Device.objects.count() == 1 and Device.objects.first().platform == "harmony"


def test_a_token_registered_by_another_user_moves_to_the_new_one(register, as_user):
    register("handler")
    register("dispatcher")
    assert as_user("handler").get("/api/v1/me/devices").json == []
    assert len(as_user("dispatcher").get("/api/v1/me/devices").json) == 1


def test_only_the_most_recently_seen_devices_are_kept(register, as_user):
    for n in range(MAX_PER_USER + 2):
        register(token=f"fcm-token-{n:04d}-" + "b" * 30)
    assert Device.objects.count() == MAX_PER_USER
    assert not Device.objects(starts_with("token", "fcm-token-0000")).count()


def test_a_device_is_removed_by_its_owner(register, as_user):
    device = register().json
    assert as_user("handler").delete(f"/api/v1/me/devices/{device['id']}").status_code == 204
    assert Device.objects.count() == 0


def test_removing_someone_elses_device_is_404(register, as_user):
    device = register().json
    response = as_user("dispatcher").delete(f"/api/v1/me/devices/{device['id']}")
    assert response.status_code == 404 and Device.objects.count() == 1


@pytest.mark.parametrize("body", [{"platform": "symbian", "token": TOKEN}, {"platform": "ios"},
                                  {"platform": "ios", "token": "short"},
                                  {"platform": "ios", "token": TOKEN, "extra": 1}])
def test_a_malformed_registration_is_422_and_stores_nothing(as_user, body):
    response = as_user("handler").post("/api/v1/me/devices", json=body)
    assert response.status_code == 422 and Device.objects.count() == 0


def test_devices_need_a_signed_in_user(anonymous):
    assert anonymous.post("/api/v1/me/devices", json={"platform": "ios", "token": TOKEN}).status_code == 401
