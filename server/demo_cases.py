"""Open cases for the demo county (DESIGN §5): one in every state and every SLA light, so the
board, the map and the indicators show something before anyone files a case.

Each case is filed and walked by the case service as the demo users would (the same history,
clocks and events as a real case); a case meant to be yellow, red or escalated is then aged —
every moment it holds moved back by the same amount — and the SLA sweep gives it the notices
and escalations that are due, through its one writer. Deterministic: the same cases, in the
same places, each time the demo is loaded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw

from server.auth.models import User
from server.auth.principals import Principal, principal_from_claims, user_claims
from server.cases import attachments, service
from server.cases.models import Case
from server.cases.schemas import CaseCreateSchema
from server.demo import demo_id
from server.supervision.sweep import sweep
from server.timeutil import aware, now_utc

HANDLE = ("handler", {"action": "handle", "result": "已清理完毕，恢复原貌"})
WALK = {
    "reported": [],
    "accepted": [("dispatcher", {"action": "accept"})],
    "dispatched": [("dispatcher", {"action": "accept"}),
                   ("dispatcher", {"action": "dispatch", "department": "371083-cgj"})],
}
WALK["in_progress"] = [*WALK["dispatched"], ("handler", {"action": "sign"})]
WALK["suspended"] = [*WALK["in_progress"], ("supervisor", {
    "action": "suspend", "reason": "需等待产权人提供建设手续", "duration_wd": 3})]
WALK["handled"] = [*WALK["in_progress"], HANDLE]
WALK["closed"] = [*WALK["handled"], ("gridworker", {"action": "verify_pass"})]
WALK["evaluated"] = [*WALK["closed"], ("resident", {  # 不满意: a 回访 task for the supervisors
    "action": "evaluate", "rating": "dissatisfied", "note": "小广告清理后第二天又贴上了"})]

@dataclass(frozen=True)
class DemoCase:
    reporter: str
    state: str
    light: str  # the light (or escalation) it is aged to show
    category: str
    description: str
    address: str
    point: tuple[float, float]  # lat, lng in 胜利街第一网格
    photo: tuple[int, int, int] | None = None  # the colour of its generated photo


CASES = [
    DemoCase("resident", "reported", "green", "0102", "小区东门垃圾桶满溢，已两天没人清运",
             "胜利街8号东门", (36.9131, 121.5222), (120, 130, 90)),
    DemoCase("gridworker", "reported", "red", "0201", "电线杆和公交站牌上贴满非法小广告",
             "胜利街与府前路交叉口", (36.9142, 121.5245)),
    DemoCase("gridworker", "accepted", "yellow", "0303", "道路中央散落建筑垃圾，影响车辆通行",
             "府前路56号", (36.9123, 121.5238)),
    DemoCase("resident", "dispatched", "green", "0104", "人行道大面积油污，雨天湿滑",
             "胜利街社区12号楼北侧", (36.917, 121.5218)),
    DemoCase("gridworker", "in_progress", "yellow", "0102", "菜市场门口堆放生活垃圾，已有异味",
             "胜利街菜市场东门", (36.9128, 121.5262), (90, 120, 60)),
    DemoCase("gridworker", "in_progress", "escalated", "0502", "沿街商铺占道经营，行人只能走机动车道",
             "府前路与青山路口", (36.9157, 121.5279)),
    DemoCase("resident", "suspended", "paused", "0101", "居民楼下私搭彩钢棚，占用消防通道",
             "胜利街22号", (36.9176, 121.5236)),
    DemoCase("gridworker", "handled", "green", "0103", "绿化带内堆放废弃家具和装修渣土",
             "府前路社区公园西侧", (36.9113, 121.5259), (140, 110, 70)),
    DemoCase("resident", "evaluated", "green", "0201", "楼道口和单元门上张贴小广告",
             "胜利街15号楼", (36.9185, 121.5266)),
]


def _principal(username: str) -> Principal:
    user = User.objects.get(username=username)
    return principal_from_claims({"sub": f"user:{user.id}", **user_claims(user)})


def _photo(owner: Principal, colour: tuple, label: str) -> str:
    """A plausible scene photo (a generated image: the demo ships no pictures of real people)."""
    image = Image.new("RGB", (1280, 960), colour)
    draw = ImageDraw.Draw(image)
    for x in range(0, 1280, 160):
        draw.rectangle((x, 600, x + 90, 960), fill=tuple(min(255, c + 60) for c in colour))
    draw.rectangle((0, 0, 1280, 80), fill=(30, 30, 30))
    draw.text((24, 24), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return str(attachments.store(owner=owner.key, data=buffer.getvalue()).id)


def _shift(value: Any, delta: timedelta) -> Any:
    """Every moment in a stored document moved back by `delta`."""
    if isinstance(value, datetime):
        return value - delta
    if isinstance(value, dict):
        return {k: _shift(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, delta) for v in value]
    return value


def _age(case_id: Any, delta: timedelta) -> None:
    collection = Case._get_collection()
    doc = collection.find_one({"_id": case_id})
    collection.replace_one({"_id": case_id, "version": doc["version"]}, _shift(doc, delta))


def _aged_for(case: Case, light: str, now: datetime) -> timedelta | None:
    """How far back a case must be moved to show `light` now (None: as it is)."""
    due, warn = aware(case.sla.get("due_at")), aware(case.sla.get("warn_at"))
    if light == "yellow" and due and warn:
        return warn - now + (due - warn) / 2  # half-way between the warning and the deadline
    if light == "red" and due:
        return due - now + timedelta(hours=2)
    if light == "escalated":
        return timedelta(days=30)  # long past every escalation point
    return None


def seed_demo_cases(*, now: datetime | None = None) -> int:
    """File and walk the demo's cases (once: nothing is added if the county has cases)."""
    if Case.objects(region_path="371083").only("id").first() is not None:
        return 0
    now = now or now_utc()
    for number, demo in enumerate(CASES, start=1):
        principal = _principal(demo.reporter)
        body = {"category": demo.category, "description": demo.description,
                "address": demo.address, "location": dict(zip(("lat", "lng"), demo.point,
                                                              strict=True))}
        if demo.photo:
            body["attachments"] = [_photo(principal, demo.photo, "BEFORE")]
        case, _ = service.report(principal=principal, data=CaseCreateSchema().load(body),
                                 case_id=demo_id("case", number))
        for username, step in WALK[demo.state]:
            payload = dict(step)
            if payload["action"] == "handle" and demo.photo:
                payload["attachments"] = [_photo(_principal("handler"), (70, 150, 90), "AFTER")]
            case = service.apply_transition(principal=_principal(username), case_id=case.id,
                                            action=payload.pop("action"), payload=payload)
        delta = _aged_for(Case.objects(id=case.id).get(), demo.light, now)
        if delta is not None:
            _age(case.id, delta)
    sweep(now=now)  # the aged cases get their warnings, overdue notices and escalations
    return len(CASES)
