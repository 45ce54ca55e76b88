"""Patrols (issue 18): one open patrol per worker, positions in idempotent batches, flagged
positions kept but not counted, figures and a simplified track, idle patrols ended, raw
positions pruned, and who may see or touch a patrol."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.cases.models import Case
from server.grids.service import distance_m
from server.patrols import service
from server.patrols.models import Patrol, PatrolPoint
from tests.clock import from_now
from tests.factories import CaseFactory, principal_of, staff_of

OWN, NEIGHBOUR = "371083001001001", "371083001001002"  # 胜利街第一、第二网格 (0.01° squares)


def started(minutes_ago=60, username="gridworker"):
    """A patrol of the demo grid worker, started `minutes_ago`."""
    return service.start(principal=principal_of(username), now=from_now(minutes=-minutes_ago))


def route(start_minutes_ago=50, lngs=None, lat=36.915, every_s=30, **extra):
    """Positions walking east along 36.915 N from grid 1 into grid 2, one every 30 s."""
    lngs = lngs or [round(121.5225 + 0.001 * i, 4) for i in range(16)]
    t0 = from_now(minutes=-start_minutes_ago)
    return [{"lat": lat, "lng": lng, "at": (t0 + timedelta(seconds=every_s * i)).isoformat(),
             "accuracy_m": 8, **extra} for i, lng in enumerate(lngs)]


def send(client, patrol, points, key="batch-1"):
    return client.post(f"/api/v1/patrols/{patrol['id']}/points", json={"points": points},
                       headers={"Idempotency-Key": key})


def test_a_worker_starts_a_patrol_and_a_second_is_refused_while_it_is_open(as_user, demo):
    worker = as_user("gridworker")
    first = worker.post("/api/v1/patrols")
    assert first.status_code == 201 and first.json["status"] == "open"
    second = worker.post("/api/v1/patrols")
    assert second.status_code == 409 and second.json["errors"]["reason"] == "patrol_open"
    assert Patrol.objects.count() == 1


def test_a_walk_through_two_grids_counts_distance_share_inside_and_grids(as_user, demo):
    patrol = started()
    points = route()
    answer = send(as_user("gridworker"), patrol, points)
    assert answer.status_code == 201 and (answer.json["accepted"], answer.json["flagged"]) == (16, 0)
    figures = answer.json["patrol"]
    steps = [distance_m(a["lng"], a["lat"], b["lng"], b["lat"])
             for a, b in zip(points, points[1:], strict=False)]
    assert figures["distance_m"] == pytest.approx(sum(steps), rel=0.005)
    assert figures["inside_m"] == pytest.approx(sum(steps[:7]), rel=0.005)  # 121.5225 … 121.5295
    assert figures["inside_share"] == pytest.approx(7 / 15, abs=0.01)
    assert [g["code"] for g in figures["grids_visited"]] == [OWN, NEIGHBOUR]
    assert figures["grids_visited"][0]["name"] == "胜利街第一网格"


def test_a_batch_sent_again_with_its_key_is_stored_once_and_answered_the_same(as_user, demo):
    patrol, worker, points = started(), as_user("gridworker"), route()
    first = send(worker, patrol, points)
    again = send(worker, patrol, points)
    assert again.status_code == 200 and again.json["accepted"] == first.json["accepted"]
    assert PatrolPoint.objects.count() == 16 and Patrol.objects.get().point_count == 16


def test_the_same_key_with_other_points_is_refused(as_user, demo):
    patrol, worker = started(), as_user("gridworker")
    send(worker, patrol, route())
    other = send(worker, patrol, route(start_minutes_ago=40))
    assert other.status_code == 422 and other.json["errors"]["reason"] == "idempotency_mismatch"


def test_a_batch_without_an_idempotency_key_is_refused(as_user, demo):
    patrol = started()
    answer = as_user("gridworker").post(f"/api/v1/patrols/{patrol['id']}/points",
                                        json={"points": route()})
    assert 400 <= answer.status_code < 500 and PatrolPoint.objects.count() == 0


def test_untrustworthy_positions_are_kept_flagged_and_left_out_of_the_figures(as_user, demo):
    patrol, worker = started(), as_user("gridworker")
    send(worker, patrol, route(lngs=[121.5225, 121.5235]))
    late = route(start_minutes_ago=55, lngs=[121.5245])  # older than the last counted one
    blurred = route(start_minutes_ago=49, lngs=[121.5245], accuracy_m=300)
    jump = route(start_minutes_ago=48, lngs=[121.61])  # 8 km in a minute and a half
    answer = send(worker, patrol, late + blurred + jump, key="batch-2")
    assert (answer.json["accepted"], answer.json["flagged"]) == (0, 3)
    flags = sorted(tuple(p.flags) for p in PatrolPoint.objects(flags__ne=[]))
    assert flags == [("inaccurate",), ("out_of_order",), ("too_fast",)]
    assert answer.json["patrol"]["point_count"] == 5 and answer.json["patrol"]["distance_m"] < 100


@pytest.mark.parametrize(("points", "reason"), [
    (route(start_minutes_ago=90), "point_before_patrol"),
    (route(start_minutes_ago=-30), "point_in_future"),
])
def test_positions_before_the_patrol_or_ahead_of_the_clock_are_refused_whole(as_user, demo, points, reason):
    patrol = started()
    answer = send(as_user("gridworker"), patrol, route(lngs=[121.5225]) + points)
    assert answer.status_code == 422 and answer.json["errors"]["reason"] == reason
    assert PatrolPoint.objects.count() == 0 and Patrol.objects.get().point_count == 0


@pytest.mark.parametrize("point", [
    {"lat": 0.0, "lng": 0.0}, {"lat": 36.9, "lng": 181.0}, {"lat": 91.0, "lng": 121.5},
    {"lat": 48.85, "lng": 2.35},
])
def test_coordinates_out_of_range_or_outside_china_are_refused(as_user, demo, point):
    patrol = started()
    answer = send(as_user("gridworker"), patrol, [{**route(lngs=[121.5225])[0], **point}])
    assert answer.status_code == 422 and PatrolPoint.objects.count() == 0


def test_a_batch_over_5000_positions_is_refused(as_user, demo):
    patrol = started()
    points = route(lngs=[121.5225] * 5001, every_s=0)
    answer = send(as_user("gridworker"), patrol, points)
    assert answer.status_code in (413, 422) and PatrolPoint.objects.count() == 0


def test_a_batch_body_over_1_mb_is_refused(as_user, demo):
    patrol = started()
    points = [{**p, "coord_system": "wgs84" + " " * 300} for p in route(lngs=[121.5225] * 4000)]
    answer = send(as_user("gridworker"), patrol, points)
    assert answer.status_code == 413 and PatrolPoint.objects.count() == 0


def test_ending_recounts_the_figures_and_keeps_a_simplified_geojson_track(as_user, demo):
    patrol, worker = started(), as_user("gridworker")
    live = send(worker, patrol, route()).json["patrol"]
    ended = worker.post(f"/api/v1/patrols/{patrol['id']}/end")
    assert ended.status_code == 200 and ended.json["status"] == "ended"
    track = ended.json["track"]
    assert track["type"] == "Feature" and track["geometry"]["type"] == "LineString"
    assert track["geometry"]["coordinates"] == [[121.5225, 36.915], [121.5375, 36.915]]  # a line
    assert ended.json["distance_m"] == pytest.approx(live["distance_m"], rel=0.001)
    assert ended.json["inside_m"] == pytest.approx(live["inside_m"], rel=0.001)


def test_a_patrol_its_worker_ended_takes_no_more_positions(as_user, demo):
    patrol, worker = started(), as_user("gridworker")
    worker.post(f"/api/v1/patrols/{patrol['id']}/end")
    answer = send(worker, patrol, route())
    assert answer.status_code == 409 and answer.json["errors"]["reason"] == "patrol_ended"


def test_ending_a_patrol_again_answers_it_as_it_is(as_user, demo):
    patrol, worker = started(), as_user("gridworker")
    first = worker.post(f"/api/v1/patrols/{patrol['id']}/end")
    again = worker.post(f"/api/v1/patrols/{patrol['id']}/end")
    assert again.status_code == 200 and again.json["ended_at"] == first.json["ended_at"]


def idle_ended(as_user):
    """A patrol with one batch, ended by the server after its idle time."""
    patrol = started(minutes_ago=200)
    send(as_user("gridworker"), patrol, route(start_minutes_ago=190, lngs=[121.5225, 121.5235]))
    Patrol.objects.update(set__last_activity_at=from_now(minutes=-185))
    service.close_idle(now=from_now())
    return patrol


def test_positions_that_arrive_after_an_idle_end_reopen_the_patrol_and_nothing_is_lost(as_user, demo):
    patrol, worker = idle_ended(as_user), as_user("gridworker")
    late = send(worker, patrol, route(start_minutes_ago=100, lngs=[121.5245, 121.5255]), key="late")
    assert late.status_code == 201 and late.json["patrol"]["status"] == "open"
    ended = worker.post(f"/api/v1/patrols/{patrol['id']}/end").json
    assert ended["ended_by"] == "worker" and ended["point_count"] == 4
    assert ended["distance_m"] > 250  # 121.5225 … 121.5255: both batches counted


def test_positions_for_an_idle_ended_patrol_after_a_new_one_started_are_refused(as_user, demo):
    patrol, worker = idle_ended(as_user), as_user("gridworker")
    assert worker.post("/api/v1/patrols").status_code == 201
    late = send(worker, patrol, route(start_minutes_ago=100, lngs=[121.5245]), key="late")
    assert late.status_code == 409 and late.json["errors"]["reason"] == "patrol_open"
    assert Patrol.objects.get(id=patrol["id"]).status == "ended"


def test_cases_the_worker_reported_during_the_patrol_are_linked_to_it(as_user, demo):
    patrol = started()
    case = CaseFactory(reporter="gridworker")
    shown = as_user("gridworker").get(f"/api/v1/patrols/{patrol['id']}").json
    assert shown["cases"] == [{"id": case["id"], "code": case["code"]}]


def test_a_supervisor_sees_the_patrol_but_cannot_end_it(as_user, demo):
    patrol = started()
    supervisor = as_user("supervisor")
    assert supervisor.get(f"/api/v1/patrols/{patrol['id']}").status_code == 200
    answer = supervisor.post(f"/api/v1/patrols/{patrol['id']}/end")
    assert answer.status_code == 403


def test_another_worker_neither_sees_nor_ends_it(as_user, demo):
    patrol = started()
    other = staff_of(OWN, "grid_worker")
    client = as_user(other.username)
    assert client.get(f"/api/v1/patrols/{patrol['id']}").status_code == 404
    assert client.post(f"/api/v1/patrols/{patrol['id']}/end").status_code == 404
    assert client.get("/api/v1/patrols").json == []
    assert Patrol.objects.get().status == "open"


def test_another_towns_supervisor_sees_no_patrol_of_this_town(as_user, demo):
    started()
    other = staff_of("371083002", "supervisor")
    assert as_user(other.username).get("/api/v1/patrols").json == []


@pytest.mark.parametrize("username", ["resident", "handler"])
def test_residents_and_department_staff_see_no_patrols(as_user, demo, username):
    assert as_user(username).get("/api/v1/patrols").status_code == 403
    assert as_user(username).post("/api/v1/patrols").status_code == 403


def test_the_list_gives_each_patrol_its_figures_and_filters_by_worker(as_user, demo):
    patrol = started()
    send(as_user("gridworker"), patrol, route())
    rows = as_user("supervisor").get("/api/v1/patrols", query_string={
        "worker": patrol["worker"]}).json
    assert [r["id"] for r in rows] == [patrol["id"]] and rows[0]["distance_m"] > 1000
    assert "track" not in rows[0]


def test_a_patrol_left_open_is_ended_at_its_last_position_after_the_idle_time(as_user, demo, app):
    patrol = started(minutes_ago=200)
    send(as_user("gridworker"), patrol, route(start_minutes_ago=190))
    last = from_now(minutes=-190) + timedelta(seconds=30 * 15)
    Patrol.objects.update(set__last_activity_at=from_now(minutes=-185))
    assert service.close_idle(now=from_now()) == {"ended": 1, "failed": 0}
    stored = Patrol.objects.get()
    assert stored.status == "ended" and stored.ended_by == "idle" and stored.open_worker is None
    assert abs(stored.ended_at.timestamp() - last.timestamp()) < 1
    assert as_user("gridworker").post("/api/v1/patrols").status_code == 201  # a new one may start


def test_raw_positions_past_their_retention_go_and_the_track_stays(as_user, demo, app):
    patrol, worker = started(), as_user("gridworker")
    send(worker, patrol, route())
    worker.post(f"/api/v1/patrols/{patrol['id']}/end")
    later = from_now(days=app.config["PATROL_POINT_RETENTION_DAYS"] + 1)
    assert service.prune_points(now=later) == 16
    shown = worker.get(f"/api/v1/patrols/{patrol['id']}").json
    assert len(shown["track"]["geometry"]["coordinates"]) == 2 and shown["distance_m"] > 1000


def test_positions_are_not_taken_without_an_open_patrol_of_ones_own(as_user, demo):
    patrol = started()
    other = staff_of(OWN, "grid_worker")
    answer = send(as_user(other.username), patrol, route())
    assert answer.status_code == 404 and PatrolPoint.objects.count() == 0
    assert Case.objects.count() == 0


def test_the_days_map_draws_each_track_and_each_workers_last_position(as_user, demo):
    patrol = started()
    send(as_user("gridworker"), patrol, route())
    day = Patrol.objects.get().created_day  # the patrol's day, whatever the hour of the run
    shown = as_user("supervisor").get("/api/v1/patrols/map", query_string={"day": day}).json
    kinds = {f["properties"]["kind"]: f for f in shown["features"]}
    assert kinds["track"]["geometry"]["type"] == "LineString"
    assert kinds["last_position"]["geometry"]["coordinates"] == [121.5375, 36.915]
    assert kinds["last_position"]["properties"]["patrolling"] is True


def test_another_towns_map_shows_none_of_this_towns_patrols(as_user, demo):
    patrol = started()
    send(as_user("gridworker"), patrol, route())
    other = staff_of("371083002", "supervisor")
    day = Patrol.objects.get().created_day
    assert as_user("supervisor").get("/api/v1/patrols/map", query_string={"day": day}).json[
        "features"]
    assert as_user(other.username).get("/api/v1/patrols/map", query_string={"day": day}).json[
        "features"] == []
