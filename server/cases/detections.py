"""Machine reporters (video AI, IoT sensors; issue 19): a sister app's detection is a report with
`device`, `confidence`, `detected_at` and a snapshot photo. Its client's rules (data on the
client, `PATCH /clients/{id}` `detection`) decide: below `min_confidence` nothing is filed; the
same device detecting the same category within `window_minutes` and `radius_m` of its open case
adds a sighting to that case instead of a new one; from `auto_accept` the case is filed into
受理 as the client's own action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from server.auth.models import Client
from server.auth.principals import Principal
from server.cases.models import Case
from server.errors import Unprocessable
from server.grids.service import distance_m
from server.timeutil import aware
from workflows.case_table import OPEN_STATES

MACHINE_FIELDS = ("device", "confidence", "detected_at")
DEFAULTS = {"min_confidence": 0.0, "auto_accept": None, "window_minutes": 30, "radius_m": 50}
OPEN = [state.value for state in OPEN_STATES]


@dataclass(frozen=True)
class Detection:
    device: str
    confidence: float | None
    detected_at: datetime
    rules: dict[str, Any]

    @property
    def auto_accept(self) -> bool:
        threshold = self.rules["auto_accept"]
        return threshold is not None and self.confidence is not None and self.confidence >= threshold

    def doc(self, snapshot: str | None) -> dict[str, Any]:
        return {"device": self.device, "confidence": self.confidence,
                "detected_at": self.detected_at, "sightings": 1, "last_seen": self.detected_at,
                "last_snapshot": snapshot}


def check(principal: Principal, data: dict[str, Any], now: datetime) -> Detection | None:
    """The detection a report carries, after its client's rules; None for a plain report."""
    given = [name for name in MACHINE_FIELDS if name in data]
    if not given:
        return None
    if principal.kind != "client":
        raise Unprocessable("设备检测字段仅限接入应用使用", reason="machine_fields_for_clients",
                            fields={name: ["仅限接入应用"] for name in given})
    if "device" not in data:
        raise Unprocessable("检测上报须提供设备编号", reason="device_required",
                            fields={"device": ["必填"]})
    client = Client.objects(id=ObjectId(principal.id)).only("detection").first()
    rules = {**DEFAULTS, **((client.detection if client else None) or {})}
    confidence = data.get("confidence")
    if confidence is not None and confidence < rules["min_confidence"]:
        raise Unprocessable(f"置信度低于 {rules['min_confidence']:g}，未立案", reason="below_confidence",
                            fields={"confidence": [f"须不低于 {rules['min_confidence']:g}"]})
    detected = aware(data.get("detected_at")) or now
    return Detection(data["device"], confidence, min(detected, now), rules)


def sighting(detection: Detection, *, principal: Principal, category: str, lng: float, lat: float,
             snapshot: str | None) -> Case | None:
    """The device's open case of the same category within the window and radius, with this
    detection added as a sighting (count, last seen, snapshot); None if there is none."""
    since = detection.detected_at - timedelta(minutes=detection.rules["window_minutes"])
    candidates = Case.objects(**{"machine__device": detection.device}, reporter=principal.key,
                              category=category, status__in=OPEN,
                              **{"machine__last_seen__gte": since}).exclude("history") \
        .order_by("-created_at").limit(20)
    for case in candidates:
        case_lng, case_lat = case.location["coordinates"]
        if distance_m(lng, lat, case_lng, case_lat) > detection.rules["radius_m"]:
            continue
        update = {"$inc": {"machine.sightings": 1},
                  "$max": {"machine.last_seen": detection.detected_at}}
        if snapshot:
            update["$set"] = {"machine.last_snapshot": snapshot}
        if Case._get_collection().update_one({"_id": case.id, "status": {"$in": OPEN}},
                                             update).matched_count:
            return Case.objects(id=case.id).exclude("history").get()
    return None
