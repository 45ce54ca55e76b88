"""Devices registered for push (`/me/devices`): deduplicated by token, at most MAX_PER_USER
a user (the least recently seen is dropped)."""

from __future__ import annotations

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from server.auth.principals import Principal
from server.errors import found
from server.inbox.models import Device
from server.timeutil import now_utc

MAX_PER_USER = 10


def list_mine(*, principal: Principal):
    return Device.objects(user=principal.id or "-").order_by("-last_seen_at", "-id")


def register(*, principal: Principal, platform: str, token: str) -> tuple[Device, bool]:
    """Register the caller's device; (device, created). Re-registering refreshes it, and a
    token another user registered before moves to the caller."""
    now = now_utc()
    update = {"$set": {"user": principal.id, "platform": platform, "last_seen_at": now},
              "$setOnInsert": {"created_at": now}}
    collection = Device._get_collection()
    try:
        raw = collection.find_one_and_update({"token": token}, update, upsert=True,
                                             return_document=ReturnDocument.BEFORE)
    except DuplicateKeyError:  # registered concurrently: it exists now, update it
        raw = collection.find_one_and_update({"token": token}, update)
    device = Device.objects(token=token).first()
    for extra in list_mine(principal=principal)[MAX_PER_USER:]:
        extra.delete()
    return device, raw is None


def remove(*, principal: Principal, device_id: ObjectId) -> None:
    found(Device.objects(id=device_id, user=principal.id or "-").first(), "设备不存在").delete()


def prune(tokens: list[str]) -> int:
    """Forget tokens FCM says are unregistered or invalid; return how many went."""
    return Device.objects(token__in=tokens).delete() if tokens else 0


def tokens_of(users: list[str]) -> dict[str, list[tuple[str, str]]]:
    """user id → [(device id, token)] for push."""
    found_: dict[str, list[tuple[str, str]]] = {}
    for raw in Device._get_collection().find({"user": {"$in": users}},
                                             projection={"user": True, "token": True}):
        found_.setdefault(raw["user"], []).append((str(raw["_id"]), raw["token"]))
    return found_
