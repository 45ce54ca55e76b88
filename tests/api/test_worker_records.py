"""Work logs (工作日志) and visits (走访), issue 18: one log per worker and day, written that day
only; visits filed once per Idempotency-Key, with a purpose from the configured list; photos
bound to the record and readable in its scope; households masked without pii:read."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.cases import attachments
from server.cases.attachments import Attachment
from server.patrols import service
from server.patrols.models import Visit, WorkLog
from server.timeutil import SHANGHAI
from tests.clock import from_now, iso_from_now
from tests.factories import CaseFactory, principal_of, staff_of


def today() -> str:
    return from_now().astimezone(SHANGHAI).date().isoformat()


VISIT = {"subject": "张大爷家（独居）", "address": "胜利街12号3单元101", "purpose": "独居老人",
         "notes": "身体状况良好，冬季取暖正常", "location": {"lat": 36.915, "lng": 121.525}}


def photo(owner="gridworker") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 60)).save(buffer, "JPEG")
    return str(attachments.store(owner=principal_of(owner).key, data=buffer.getvalue()).id)


# --- work logs -------------------------------------------------------------------------------
def test_a_worker_writes_todays_log_with_a_photo_a_patrol_and_a_case(as_user, demo):
    patrol = service.start(principal=principal_of("gridworker"), now=from_now(minutes=-60))
    case = CaseFactory(reporter="gridworker")
    picture = photo()
    answer = as_user("gridworker").put(f"/api/v1/worklogs/{today()}", json={
        "text": "上午巡查胜利街，发现暴露垃圾一处已上报", "attachments": [picture],
        "patrols": [patrol["id"]], "cases": [case["id"]]})
    assert answer.status_code == 201 and answer.json["patrols"] == [patrol["id"]]
    assert Attachment.objects.get(id=picture).record == f"worklog:{answer.json['id']}"


def test_todays_log_rewritten_is_the_same_log(as_user, demo):
    worker = as_user("gridworker")
    first = worker.put(f"/api/v1/worklogs/{today()}", json={"text": "上午巡查"})
    again = worker.put(f"/api/v1/worklogs/{today()}", json={"text": "上午巡查，下午走访"})
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert again.json["version"] == 2 and WorkLog.objects.count() == 1


@pytest.mark.parametrize("day", ["2026-01-05", "2099-12-31"])
def test_a_log_for_another_day_is_refused(as_user, demo, day):
    answer = as_user("gridworker").put(f"/api/v1/worklogs/{day}", json={"text": "补写"})
    assert answer.status_code == 422 and answer.json["errors"]["reason"] == "log_not_today"
    assert WorkLog.objects.count() == 0


@pytest.mark.parametrize("day", ["yesterday", "2026-02-30", "1999-01-01"])
def test_a_malformed_day_is_not_found(as_user, demo, day):
    assert as_user("gridworker").put(f"/api/v1/worklogs/{day}", json={"text": "x"}).status_code == 404


def test_a_log_cannot_name_someone_elses_patrol_or_photo(as_user, demo):
    other = staff_of("371083001001001", "grid_worker")
    theirs = service.start(principal=principal_of(other.username), now=from_now(minutes=-5))
    worker = as_user("gridworker")
    patrol = worker.put(f"/api/v1/worklogs/{today()}", json={"text": "x", "patrols": [theirs["id"]]})
    picture = worker.put(f"/api/v1/worklogs/{today()}", json={
        "text": "x", "attachments": [photo(other.username)]})
    assert patrol.json["errors"]["reason"] == "invalid_patrols"
    assert picture.json["errors"]["reason"] == "invalid_attachments"
    assert WorkLog.objects.count() == 0


def test_only_grid_workers_write_logs(as_user, demo):
    assert as_user("supervisor").put(f"/api/v1/worklogs/{today()}", json={"text": "x"}).status_code == 403


def test_a_supervisor_reads_the_regions_logs_and_another_worker_none(as_user, demo):
    as_user("gridworker").put(f"/api/v1/worklogs/{today()}", json={"text": "上午巡查"})
    assert len(as_user("supervisor").get("/api/v1/worklogs").json) == 1
    other = staff_of("371083001001001", "grid_worker")
    assert as_user(other.username).get("/api/v1/worklogs").json == []


# --- visits --------------------------------------------------------------------------------------
def test_a_visit_is_filed_with_its_grid_and_photo(as_user, demo):
    picture = photo()
    answer = as_user("gridworker").post("/api/v1/visits", json={**VISIT, "attachments": [picture]})
    assert answer.status_code == 201
    assert answer.json["grid"]["name"] == "胜利街第一网格" and answer.json["subject"] == "张大爷家（独居）"
    assert Attachment.objects.get(id=picture).record == f"visit:{answer.json['id']}"


def test_a_visit_sent_again_with_its_key_is_filed_once(as_user, demo):
    worker, headers = as_user("gridworker"), {"Idempotency-Key": "visit-0001"}
    first = worker.post("/api/v1/visits", json=VISIT, headers=headers)
    again = worker.post("/api/v1/visits", json=VISIT, headers=headers)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    other = worker.post("/api/v1/visits", json={**VISIT, "notes": "另一次"}, headers=headers)
    assert other.status_code == 422 and other.json["errors"]["reason"] == "idempotency_mismatch"
    assert Visit.objects.count() == 1


def test_a_visit_made_offline_yesterday_is_filed_with_its_time(as_user, demo):
    when = iso_from_now(hours=-20)
    answer = as_user("gridworker").post("/api/v1/visits", json={**VISIT, "visited_at": when})
    assert answer.status_code == 201 and answer.json["visited_at"][:16] == when[:16]


@pytest.mark.parametrize(("change", "reason"), [
    ({"purpose": "打麻将"}, "unknown_purpose"),
    ({"visited_at": iso_from_now(days=-10)}, "invalid_visited_at"),
    ({"visited_at": iso_from_now(hours=2)}, "invalid_visited_at"),
    ({"case": "0" * 24}, "invalid_cases"),
])
def test_a_visit_with_a_bad_purpose_time_or_case_is_refused(as_user, demo, change, reason):
    answer = as_user("gridworker").post("/api/v1/visits", json={**VISIT, **change})
    assert answer.status_code == 422 and answer.json["errors"]["reason"] == reason
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("body", [
    {**VISIT, "subject": ""}, {**VISIT, "subject": "x" * 101}, {"purpose": "独居老人"},
    {**VISIT, "location": {"lat": 200, "lng": 0}}, {**VISIT, "attachments": ["nope"]},
])
def test_a_malformed_visit_is_refused(as_user, demo, body):
    assert as_user("gridworker").post("/api/v1/visits", json=body).status_code == 422
    assert Visit.objects.count() == 0


def test_a_supervisor_without_pii_read_sees_the_household_masked(as_user, demo):
    as_user("gridworker").post("/api/v1/visits", json=VISIT)
    seen, = as_user("supervisor").get("/api/v1/visits").json
    assert seen["subject"] != VISIT["subject"] and seen["subject"].startswith("张")
    assert seen["address"] is None and seen["location"] is None
    assert seen["grid"]["name"] == "胜利街第一网格" and seen["purpose"] == "独居老人"
    mine, = as_user("gridworker").get("/api/v1/visits").json
    assert mine["subject"] == VISIT["subject"] and mine["address"] == VISIT["address"]


def test_a_visits_photo_is_readable_in_its_scope_only(as_user, demo):
    picture = photo()
    as_user("gridworker").post("/api/v1/visits", json={**VISIT, "attachments": [picture]})
    assert as_user("supervisor").get(f"/api/v1/attachments/{picture}").status_code == 200
    other = staff_of("371083002", "supervisor")
    assert as_user(other.username).get(f"/api/v1/attachments/{picture}").status_code == 404
    assert as_user("resident").get(f"/api/v1/attachments/{picture}").status_code == 404


def test_the_purposes_come_from_the_configuration(as_user, demo, app):
    assert as_user("gridworker").get("/api/v1/visit-purposes").json["purposes"] == app.config[
        "VISIT_PURPOSES"]


def test_a_photo_bound_to_a_record_is_not_taken_for_an_orphan(demo):
    picture = photo()
    attachments.attach_to_record(ids=[Attachment.objects.get(id=picture).id], record="visit:x",
                                 scope=["371083"])
    assert attachments.remove_orphans(now=from_now(days=30)) == 0
    assert Attachment.objects(id=picture).count() == 1
