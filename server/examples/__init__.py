"""Examples for the OpenAPI document (issue 20): every operation's request — a demo user, path
and query values and a body — on the demo county's own codes and Chinese text, and the answer
the demo gave to it (`responses.json`, recorded by `scripts/openapi_examples.py --write`).

Swagger UI's "Try it out" starts from these; `tests/api/test_openapi_examples.py` replays the
non-destructive ones against the demo and checks each answer against its schema. Path values
that are generated ids (a notification, a device, a webhook) are resolved by the recorder from
the demo database and shown as recorded; the demo's users, hub items and cases have fixed ids
(`server.demo.demo_id`), so their examples work on any demo database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.demo import DEMO_PASSWORD, DEMO_RESIDENT_SUBJECT, demo_id

RESPONSES = Path(__file__).with_name("responses.json")
ERRORS = Path(__file__).with_name("errors.json")  # scripts/operation_errors.py --write
CASE_IN_PROGRESS = str(demo_id("case", 5))  # 菜市场门口堆放生活垃圾 (in progress, yellow)
CASE_ACCEPTED = str(demo_id("case", 3))  # 道路中央散落建筑垃圾 (accepted, to dispatch)
HANDLER = str(demo_id("user", 5))
GRID_WORKER = str(demo_id("user", 6))
REPORT_ITEM = str(demo_id("hub_item", 1))  # 我要反映
BUS_ITEM = str(demo_id("hub_item", 6))  # 公交实时查询
PATROL = {"resolve": "patrol"}  # the grid worker's patrol, started by the example before
PHOTO = {"resolve": "photo"}  # a photo of a demo case (generated ids, resolved when recording)


@dataclass(frozen=True)
class Example:
    user: str | None  # the demo user who calls it (None: anonymous)
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    replay: bool = False  # non-destructive: replayed against the demo by the tests
    form: bool = False  # the body is sent as application/x-www-form-urlencoded
    upload: bool = False  # multipart: a photo in `file` (the document shows no example)


def read(user: str | None, **kwargs: Any) -> Example:
    return Example(user, replay=True, **kwargs)


PROFILE = {"name": "示例：快速处置", "description": "受理 1 小时，派遣 2 小时，处置 3 个工作日",
           "rules": [{"limits": {"accept": {"amount": 1, "unit": "h"},
                                 "dispatch": {"amount": 2, "unit": "h"},
                                 "handle": {"amount": 3, "unit": "wd"}}}],
           "warn": {"percent": 80}}
GRID = {"type": "Feature", "properties": {"code": "371083001002009", "name": "府前路第九网格"},
        "geometry": {"type": "Polygon", "coordinates": [[[121.56, 36.93], [121.565, 36.93],
                                                          [121.565, 36.935], [121.56, 36.935],
                                                          [121.56, 36.93]]]}}

# (METHOD, path as in the document) -> its example, in the order the recorder runs them (an
# operation that removes something comes after those that read it).
EXAMPLES: dict[tuple[str, str], Example] = {
    ("POST", "/api/v1/auth/token"): Example(None, body={
        "grant_type": "password", "username": "dispatcher", "password": DEMO_PASSWORD},
        replay=True, form=True),
    ("GET", "/api/v1/me"): read("dispatcher"),
    ("POST", "/api/v1/auth/dev-tickets"): Example(None, body={"subject": DEMO_RESIDENT_SUBJECT}),
    ("GET", "/.well-known/jwks.json"): read(None),
    ("GET", "/api/v1/cases"): read("dispatcher", query={"status": "reported", "page_size": 5}),
    ("POST", "/api/v1/cases"): Example("gridworker", body={
        "category": "0102", "description": "胜利街菜市场东门口堆放生活垃圾，已有异味",
        "address": "胜利街菜市场东门",
        "location": {"lat": 36.9128, "lng": 121.5262, "coord_system": "wgs84"}},
        headers={"Idempotency-Key": "3f6c1a52-8f1e-4d3b-9a7e-2c5d8b1e0f47"}),
    ("GET", "/api/v1/cases/export"): read("dispatcher", query={"status": "accepted", "format": "csv"}),
    ("POST", "/api/v1/cases/follow"): Example("resident", body={"ref": {"resolve": "follow_ref"}}),
    ("GET", "/api/v1/me/follows"): read("resident"),
    ("DELETE", "/api/v1/me/follows/{code}"): Example("resident", path={
        "code": {"resolve": "followed_code"}}),
    ("POST", "/api/v1/checkins"): Example("gridworker", body={
        "lat": 36.9152, "lng": 121.5248, "coord_system": "wgs84", "accuracy_m": 12.0}),
    ("GET", "/api/v1/checkins"): read("supervisor", query={"from": "2026-12-01"}),
    ("POST", "/api/v1/patrols"): Example("gridworker"),
    ("POST", "/api/v1/patrols/{patrol_id}/points"): Example(
        "gridworker", path={"patrol_id": PATROL}, body={"points": {"resolve": "patrol_points"}},
        headers={"Idempotency-Key": "patrol-batch-7d1c2e"}),
    ("GET", "/api/v1/patrols"): read("supervisor", query={"from": "2026-12-01"}),
    ("GET", "/api/v1/patrols/{patrol_id}"): Example("supervisor", path={"patrol_id": PATROL}),
    ("GET", "/api/v1/patrols/map"): read("supervisor", query={"region": "371083001"}),
    ("POST", "/api/v1/patrols/{patrol_id}/end"): Example("gridworker", path={"patrol_id": PATROL}),
    ("PUT", "/api/v1/worklogs/{day}"): Example("gridworker", path={"day": {"resolve": "today"}}, body={
        "text": "上午巡查胜利街、府前路，发现路边暴露垃圾一处已上报；下午走访独居老人两户。",
        "patrols": [PATROL]}),
    ("GET", "/api/v1/worklogs"): read("supervisor", query={"from": "2026-12-01"}),
    ("GET", "/api/v1/visit-purposes"): read("gridworker"),
    ("POST", "/api/v1/visits"): Example("gridworker", body={
        "subject": "张大爷家（独居）", "address": "胜利街12号3单元101", "purpose": "独居老人",
        "notes": "身体状况良好，冬季取暖正常，已留联系电话", "location": {
            "lat": 36.9151, "lng": 121.5249, "coord_system": "wgs84"}},
        headers={"Idempotency-Key": "visit-5b0e9c"}),
    ("GET", "/api/v1/visits"): read("supervisor", query={"purpose": "独居老人"}),
    ("PUT", "/api/v1/point-rules/{county}"): Example("admin", path={"county": "371083"}, body={
        "effective_from": "2027-01-01", "rules": {
            "per_patrol_hour": 1, "patrol_hours_cap_per_day": 6, "per_event_found": 2,
            "per_self_handled": 1, "per_verification_on_time": 1, "per_visit": 1.5,
            "per_log": 0.5, "per_missed_checkin_day": -2}}),
    ("GET", "/api/v1/point-rules/{county}"): read("supervisor", path={"county": "371083"}),
    ("GET", "/api/v1/stats/workers"): read("supervisor", query={"from": "2026-12-01",
                                                                "group_by": "worker"}),
    ("GET", "/api/v1/stats/workers/export"): read("supervisor", query={
        "from": "2026-12-01", "format": "csv"}),
    ("GET", "/api/v1/cases/nearby"): read("gridworker", query={
        "lat": 36.9128, "lng": 121.5262, "category": "0102"}),
    ("GET", "/api/v1/cases/{case_id}"): read("dispatcher", path={"case_id": CASE_IN_PROGRESS}),
    ("GET", "/api/v1/cases/{case_id}/actions"): read("handler", path={"case_id": CASE_IN_PROGRESS}),
    ("GET", "/api/v1/cases/{case_id}/history"): read("supervisor", path={"case_id": CASE_IN_PROGRESS}),
    ("GET", "/api/v1/cases/{case_id}/timeline"): read("dispatcher", path={"case_id": CASE_IN_PROGRESS}),
    ("GET", "/api/v1/me/preferences"): read("resident"),
    ("PUT", "/api/v1/me/preferences"): Example("resident", body={"case_updates": {"sms": True}}),
    ("GET", "/api/v1/me/devices"): read("handler"),
    ("POST", "/api/v1/me/devices"): Example("handler", body={
        "platform": "android", "token": "fcm:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx"}),
    ("POST", "/api/v1/webhooks"): Example("admin", body={
        "name": "乳山城管数字大屏", "url": "https://dp.rushan.example/hooks/gridhub",
        "events": ["report", "dispatch", "verify_pass"]}),
    ("POST", "/api/v1/cases/{case_id}/transitions"): Example("dispatcher", path={
        "case_id": CASE_ACCEPTED}, body={"action": "dispatch", "department": "371083-cgj",
                                         "note": "请今日内清理"}),
    ("POST", "/api/v1/cases/{case_id}/attachments"): Example("handler", path={
        "case_id": CASE_IN_PROGRESS}, upload=True),
    ("POST", "/api/v1/attachments"): Example("gridworker", upload=True),
    ("GET", "/api/v1/attachments/{attachment_id}"): Example("dispatcher", path={
        "attachment_id": PHOTO}),
    ("GET", "/api/v1/attachments/{attachment_id}/thumbnail"): Example("dispatcher", path={
        "attachment_id": PHOTO}),
    ("GET", "/api/v1/grids/locate"): read("gridworker", query={"lat": 36.915, "lng": 121.525}),
    ("GET", "/api/v1/regions"): read("admin", query={"parent": "371083001"}),
    ("GET", "/api/v1/regions/{code}"): read("admin", path={"code": "371083001001"}),
    ("GET", "/api/v1/grids"): read("supervisor", query={"region": "371083001001"}),
    ("POST", "/api/v1/regions"): Example("platform", body={"code": "371082", "name": "荣成市"}),
    ("PATCH", "/api/v1/regions/{code}"): Example("admin", path={"code": "371083001001"},
                                                 body={"name": "胜利街社区"}),
    ("PUT", "/api/v1/regions/{code}/layers"): Example("admin", path={"code": "371083001001002"},
                                                      body={"layers": [{
                                                          "domain": "城管", "grid_workers": [GRID_WORKER],
                                                          "department": "371083-cgj"}]}),
    ("POST", "/api/v1/grids/import"): Example("admin", body={"type": "FeatureCollection",
                                                              "features": [GRID]}),
    ("POST", "/api/v1/regions/{code}/retire"): Example("admin", path={"code": "371083001002009"}),
    ("GET", "/api/v1/categories"): read(None, query={"kind": "event", "level": 2}),
    ("GET", "/api/v1/categories/{code}"): read(None, path={"code": "0102"}),
    ("POST", "/api/v1/categories"): Example("platform", body={
        "code": "0504", "parent": "05", "name": "占道洗车", "kind": "event",
        "default_department": "371083-cgj", "keywords": ["洗车", "占道"]}),
    ("PATCH", "/api/v1/categories/{code}"): Example("platform", path={"code": "0504"},
                                                    body={"keywords": ["洗车", "占道", "污水"]}),
    ("POST", "/api/v1/reply-templates"): Example("admin", body={
        "county": "371083", "field": "result", "category": "0102",
        "text": "暴露垃圾已清运，并对周边进行冲洗"}),
    ("GET", "/api/v1/reply-templates"): read("handler", query={"field": "result", "category": "0102"}),
    ("PATCH", "/api/v1/reply-templates/{template_id}"): Example("admin", path={
        "template_id": {"resolve": "reply_template"}}, body={"order": 10}),
    ("DELETE", "/api/v1/reply-templates/{template_id}"): Example("admin", path={
        "template_id": {"resolve": "reply_template"}}),
    ("GET", "/api/v1/users"): read("admin", query={"role": "handler"}),
    ("GET", "/api/v1/users/{user_id}"): read("admin", path={"user_id": HANDLER}),
    ("POST", "/api/v1/users"): Example("admin", body={
        "username": "handler2", "password": "Rushan-2026-cgj", "name": "城管局处置员二",
        "role": "handler", "org": "371083-cgj"}),
    ("PATCH", "/api/v1/users/{user_id}"): Example("admin", path={"user_id": HANDLER},
                                                  body={"name": "城管局处置员"}),
    ("GET", "/api/v1/departments"): read("dispatcher", query={"region": "371083"}),
    ("GET", "/api/v1/departments/{code}"): read("dispatcher", path={"code": "371083-cgj"}),
    ("POST", "/api/v1/departments"): Example("admin", body={
        "code": "371083-swj", "name": "乳山市水务局", "region": "371083", "domain": "水务"}),
    ("PATCH", "/api/v1/departments/{code}"): Example("admin", path={"code": "371083-swj"},
                                                     body={"name": "乳山市水务局（水利）"}),
    ("GET", "/api/v1/calendars/{region}"): read("dispatcher", path={"region": "371083"}),
    ("PUT", "/api/v1/calendars/{region}/days"): Example("admin", path={"region": "371083"}, body={
        "days": [{"date": "2027-02-20", "workday": True, "note": "春节调休上班"}]}),
    ("PUT", "/api/v1/calendars/{region}/office-hours"): Example("admin", path={"region": "371083"},
                                                                body={"office_hours": [
                                                                    ["09:00", "12:00"],
                                                                    ["13:30", "17:30"]]}),
    ("PUT", "/api/v1/calendars/{region}/quiet-hours"): Example(
        "admin", path={"region": "371083"},
        body={"rules": [{"role": "handler", "office_hours": None},
                        {"role": "grid_worker", "office_hours": [["08:30", "18:00"]]}]}),
    ("GET", "/api/v1/sla-profiles"): read("admin"),
    ("GET", "/api/v1/sla-profiles/{code}"): read("admin", path={"code": "szcg"}),
    ("POST", "/api/v1/sla-profiles"): Example("platform", body={"code": "example-fast", **PROFILE}),
    ("PUT", "/api/v1/sla-profiles/{code}"): Example("platform", path={"code": "example-fast"},
                                                    body={**PROFILE, "warn": {"percent": 75}}),
    ("DELETE", "/api/v1/sla-profiles/{code}"): Example("platform", path={"code": "example-fast"}),
    ("PUT", "/api/v1/regions/{code}/sla-profile"): Example("admin", path={"code": "371083"},
                                                           body={"profile": "szcg"}),
    ("GET", "/api/v1/supervision/board"): read("supervisor", query={"light": "red"}),
    ("GET", "/api/v1/supervision/board/counts"): read("supervisor"),
    ("GET", "/api/v1/supervision/callbacks"): read("supervisor"),
    ("POST", "/api/v1/supervision/callbacks/{callback_id}/done"): Example("supervisor", path={
        "callback_id": {"resolve": "callback"}}, body={
        "outcome": "explained", "note": "已电话回访说明：已安排每日巡查清理"}),
    ("GET", "/api/v1/stats"): read("supervisor", query={
        "from": "2026-11-01", "to": "2026-11-30", "group_by": "department"}),
    ("GET", "/api/v1/stats/hotspots"): read("supervisor", query={
        "from": "2026-11-01", "to": "2026-12-31", "category": "01"}),
    ("GET", "/api/v1/stats/export"): read("supervisor", query={
        "from": "2026-11-01", "to": "2026-11-30", "group_by": "town", "format": "csv"}),
    ("GET", "/api/v1/me/notifications"): read("handler", query={"page_size": 5}),
    ("GET", "/api/v1/me/notifications/unread-count"): read("handler"),
    ("POST", "/api/v1/me/notifications/{notification_id}/read"): Example("handler", path={
        "notification_id": {"resolve": "notification"}}),
    ("POST", "/api/v1/me/notifications/read-all"): Example("handler"),
    ("DELETE", "/api/v1/me/devices/{device_id}"): Example("handler", path={
        "device_id": {"resolve": "device"}}),
    ("GET", "/api/v1/webhooks"): read("admin"),
    ("GET", "/api/v1/webhooks/{subscription_id}"): Example("admin", path={
        "subscription_id": {"resolve": "webhook"}}),
    ("PATCH", "/api/v1/webhooks/{subscription_id}"): Example("admin", path={
        "subscription_id": {"resolve": "webhook"}}, body={"active": False}),
    ("GET", "/api/v1/webhooks/{subscription_id}/deliveries"): Example("admin", path={
        "subscription_id": {"resolve": "webhook"}}),
    ("POST", "/api/v1/webhooks/{subscription_id}/test"): Example("admin", path={
        "subscription_id": {"resolve": "webhook"}}),
    ("GET", "/api/v1/notifications"): read("platform", query={"channel": "webhook", "page_size": 5}),
    ("POST", "/api/v1/notifications/{notification_id}/redrive"): Example("platform", path={
        "notification_id": {"resolve": "failed_delivery"}}),
    ("DELETE", "/api/v1/webhooks/{subscription_id}"): Example("admin", path={
        "subscription_id": {"resolve": "webhook"}}),
    ("GET", "/api/v1/audit"): read("admin", query={"action": "case.transition", "page_size": 5}),
    ("GET", "/api/v1/clients"): read("platform"),
    ("POST", "/api/v1/clients"): Example("platform", body={
        "name": "乳山视频AI平台", "scopes": ["cases:read", "cases:write"]}),
    ("GET", "/api/v1/clients/{client_id}"): Example("platform", path={
        "client_id": {"resolve": "client"}}),
    ("PATCH", "/api/v1/clients/{client_id}"): Example("platform", path={
        "client_id": {"resolve": "client"}}, body={"scopes": ["cases:read", "cases:write",
                                                              "cases:transition"]}),
    ("POST", "/api/v1/clients/{client_id}/secret"): Example("platform", path={
        "client_id": {"resolve": "client"}}),
    ("POST", "/api/v1/clients/{client_id}/api-key"): Example("platform", path={
        "client_id": {"resolve": "client"}}),
    ("GET", "/api/v1/hub/halls/{region}"): read(None, path={"region": "371083"}),
    ("GET", "/api/v1/hub/halls/{region}/items"): read("resident", path={"region": "371083"},
                                                      query={"q": "公积金"}),
    ("GET", "/api/v1/hub/halls/{region}/usage"): read("admin", path={"region": "371083"}),
    ("POST", "/api/v1/hub/halls"): Example("platform", body={
        "region": "371082", "name": "荣成分厅", "description": "荣成市政务服务与民生诉求"}),
    ("PATCH", "/api/v1/hub/halls/{region}"): Example("admin", path={"region": "371083"}, body={
        "description": "乳山市政务服务、城市管理与民生诉求（掌上办）"}),
    ("POST", "/api/v1/hub/halls/{region}/items"): Example("admin", path={"region": "371083"}, body={
        "code": "water-pay", "name": "水费缴纳", "kind": "payment", "provider": "乳山市水务局",
        "entry": {"type": "miniapp", "path": "/water/pay"}, "tags": ["水费", "缴费"]}),
    ("PATCH", "/api/v1/hub/items/{item_id}"): Example("admin", path={"item_id": BUS_ITEM},
                                                      body={"tags": ["公交", "出行", "实时"]}),
    ("POST", "/api/v1/hub/items/{item_id}/use"): Example("resident", path={"item_id": REPORT_ITEM}),
    ("PUT", "/api/v1/me/favourites/{item_id}"): Example("resident", path={"item_id": REPORT_ITEM}),
    ("DELETE", "/api/v1/me/favourites/{item_id}"): Example("resident", path={"item_id": REPORT_ITEM}),
    ("POST", "/api/v1/auth/logout"): Example("dispatcher"),
}


def recorded() -> dict[str, dict[str, Any]]:
    """The answers the demo gave ("METHOD path" -> {status, body}), as last recorded."""
    return json.loads(RESPONSES.read_text(encoding="utf-8")) if RESPONSES.exists() else {}


def _errors(spec_dict: dict[str, Any]) -> None:
    """Each operation's `errors.reason` codes by status, in its description and as
    `x-error-reasons` (the catalogue with each code's message: docs/ERRORS.md)."""
    found = json.loads(ERRORS.read_text(encoding="utf-8")) if ERRORS.exists() else {}
    for path, item in spec_dict["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            reasons = {status: list(codes) for status, codes in
                       found.get(f"{method.upper()} {path}", {}).items()}
            parsed = "requestBody" in operation or any(
                p.get("in") == "query" for p in operation.get("parameters", []))
            if parsed and "422" in operation.get("responses", {}):
                reasons["422"] = sorted({*reasons.get("422", []), "validation_error"})
            if not reasons:
                continue
            operation["x-error-reasons"] = dict(sorted(reasons.items()))
            lines = "\n".join(f"- {status}: " + ", ".join(f"`{code}`" for code in codes)
                              for status, codes in sorted(reasons.items()))
            operation["description"] = (f"{operation.get('description', '')}\n\n"
                                        f"**errors.reason** (docs/ERRORS.md):\n\n{lines}").strip()


def apply(spec_dict: dict[str, Any]) -> dict[str, Any]:
    """Put the examples and the error reasons into an OpenAPI document (a dict, as served)."""
    _errors(spec_dict)
    answers = recorded()
    for (method, path), example in EXAMPLES.items():
        item = spec_dict["paths"].get(path)
        operation = item and item.get(method.lower())
        if operation is None:
            continue
        answer = answers.get(f"{method} {path}", {})
        values = {**example.path, **answer.get("path", {})}  # resolved ids as recorded
        for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
            where = values if parameter["in"] == "path" else example.query
            if parameter["in"] in ("path", "query") and parameter["name"] in where:
                parameter["example"] = where[parameter["name"]]
        content = (operation.get("requestBody") or {}).get("content", {})
        for media, body in content.items():
            if example.body is not None and media != "multipart/form-data":
                body["example"] = answer.get("request", example.body)  # as sent, resolved
        status = str(answer.get("status", ""))
        response = operation.get("responses", {}).get(status, {})
        if "body" in answer and "application/json" in response.get("content", {}):
            response["content"]["application/json"]["example"] = answer["body"]
    return spec_dict
