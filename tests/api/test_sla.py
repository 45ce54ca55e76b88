"""SLA profiles over HTTP and the clocks cases carry (DESIGN §5)."""

from datetime import datetime

import pytest
import time_machine

from tests.cases import case_body
from tests.clock import at, iso_from_now, naive_add_working_minutes

PROFILE = {
    "code": "township", "name": "镇街时限",
    "rules": [{"limits": {"handle": {"amount": 3, "unit": "wd"}}},
              {"category": "01", "priority": "urgent", "limits": {"handle": {"amount": 2,
                                                                             "unit": "h"}}}],
}


def iso(moment: datetime) -> str:
    return moment.isoformat()


# --- profiles --------------------------------------------------------------------------------
def test_both_preset_profiles_are_installed_and_the_demo_county_uses_szcg(as_user):
    profiles = {p["code"]: p for p in as_user("supervisor").get("/api/v1/sla-profiles").json}
    assert set(profiles) >= {"szcg", "sd12345"}
    assert profiles["szcg"]["regions"] == ["371083"] and profiles["szcg"]["is_default"]
    assert profiles["sd12345"]["max_extension"] == {"amount": 10, "unit": "wd", "clock": "working"}


def test_an_admin_adds_a_profile_with_default_points(as_user):
    response = as_user("platform").post("/api/v1/sla-profiles", json=PROFILE)
    assert response.status_code == 201, response.json
    assert response.json["warn"] == {"percent": 80}
    assert response.json["escalate"] == [{"percent": 150}, {"percent": 200}]


def test_a_profile_code_is_taken_once(as_user):
    response = as_user("platform").post("/api/v1/sla-profiles", json={**PROFILE, "code": "szcg"})
    assert response.status_code == 409


@pytest.mark.parametrize("username", ["supervisor", "dispatcher", "handler"])
def test_only_an_admin_writes_profiles(as_user, username):
    assert as_user(username).post("/api/v1/sla-profiles", json=PROFILE).status_code == 403


@pytest.mark.parametrize(("change", "where"), [
    ({"rules": [{"limits": {"handle": {"amount": 3, "unit": "days"}}}]}, "rules"),
    ({"rules": [{"limits": {"handle": {"amount": -3, "unit": "wd"}}}]}, "rules"),
    ({"rules": [{"limits": {"repair": {"amount": 3, "unit": "wd"}}}]}, "rules"),
    ({"rules": []}, "rules"),
    ({"escalate": [{"percent": 150}]}, "escalate"),
    ({"warn": {"percent": 80, "offset": {"amount": 1, "unit": "wd"}}}, None),
    ({"warn": {"percent": 120}}, None),
    ({"escalate": [{"percent": 200}, {"percent": 150}]}, None),
    ({"rules": [{"limits": {}}, {"limits": {}}]}, None),
    ({"rules": [{"category": "77", "limits": {"handle": {"amount": 1, "unit": "wd"}}}]}, None),
    ({"max_extension": {"amount": 1e9, "unit": "wd"}}, "max_extension"),
])
def test_an_inconsistent_profile_is_refused_whole(as_user, change, where):
    response = as_user("platform").post("/api/v1/sla-profiles", json={**PROFILE, **change})
    assert response.status_code == 422, response.json
    if where:
        assert where in response.json["errors"]["json"]
    assert as_user("platform").get("/api/v1/sla-profiles/township").status_code == 404


def test_a_profile_is_replaced_whole(as_user):
    as_user("platform").post("/api/v1/sla-profiles", json=PROFILE)
    body = {k: v for k, v in PROFILE.items() if k != "code"} | {"name": "镇街时限（修订）"}
    response = as_user("platform").put("/api/v1/sla-profiles/township", json=body)
    assert response.status_code == 200 and response.json["name"] == "镇街时限（修订）"


def test_a_profile_in_use_cannot_be_deleted(as_user):
    assert as_user("platform").delete("/api/v1/sla-profiles/szcg").status_code == 409
    as_user("platform").post("/api/v1/sla-profiles", json=PROFILE)
    assert as_user("platform").delete("/api/v1/sla-profiles/township").status_code == 204


def test_making_a_profile_the_default_unsets_the_previous_default(as_user):
    as_user("platform").post("/api/v1/sla-profiles", json={**PROFILE, "is_default": True})
    profiles = {p["code"]: p["is_default"] for p in as_user("admin").get(
        "/api/v1/sla-profiles").json}
    assert profiles == {"szcg": False, "sd12345": False, "township": True}


def test_the_default_profile_stays_default_until_another_takes_over(as_user):
    szcg = as_user("platform").get("/api/v1/sla-profiles/szcg").json
    body = {k: v for k, v in szcg.items() if k not in ("code", "regions", "updated_at")}
    response = as_user("platform").put("/api/v1/sla-profiles/szcg", json={**body,
                                                                       "is_default": False})
    assert response.status_code == 409 and response.json["errors"]["reason"] == "default_required"


def test_a_town_inherits_the_county_profile_until_it_chooses_its_own(as_user):
    admin = as_user("admin")
    assert admin.put("/api/v1/regions/371083001/sla-profile",
                     json={"profile": None}).json["effective"] == "szcg"
    assert admin.put("/api/v1/regions/371083001/sla-profile",
                     json={"profile": "sd12345"}).json["effective"] == "sd12345"


def test_choosing_an_unknown_profile_or_region_is_refused(as_user):
    admin = as_user("admin")
    assert admin.put("/api/v1/regions/371083/sla-profile",
                     json={"profile": "nope"}).status_code == 422
    assert admin.put("/api/v1/regions/999999/sla-profile",
                     json={"profile": "szcg"}).status_code == 404


# --- clocks on cases -------------------------------------------------------------------------
def test_a_new_case_carries_its_accept_clock(report):
    case = report()
    assert case["sla_profile"] == "szcg"
    accept = case["deadlines"]["accept"]
    assert accept["limit"] == {"amount": 1, "unit": "wh", "label": "1个工作小时"}
    assert accept["clock"] == "working" and accept["light"] in ("green", "yellow", "red")


def test_a_friday_report_before_the_spring_festival_is_due_five_working_days_later(
        as_user, hotline_county):
    friday = at(2026, 2, 13, 15, 0)  # 14 Feb (Sat) is worked, 15–23 Feb are not
    with time_machine.travel(friday, tick=False):
        case = as_user("gridworker").post("/api/v1/cases", json=case_body()).json
        for username, body in [("dispatcher", {"action": "accept"}),
                               ("dispatcher", {"action": "dispatch",
                                               "department": "371083-cgj"})]:
            case = as_user(username).post(f"/api/v1/cases/{case['id']}/transitions",
                                          json=body).json
    deadline = naive_add_working_minutes(friday, 5 * 420)
    assert deadline == at(2026, 2, 27, 15, 0)
    assert case["deadlines"]["handle"]["deadline"] == iso(deadline)
    assert case["deadlines"]["handle"]["warn_at"] == iso(naive_add_working_minutes(friday,
                                                                                  4 * 420))


def test_suspending_for_a_working_day_moves_the_handle_deadline_by_one(case_in, as_user,
                                                                        hotline_county):
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        case = case_in("in_progress")
        before = case["deadlines"]["handle"]["deadline"]
        as_user("supervisor").post(f"/api/v1/cases/{case['id']}/transitions",
                                   json={"action": "suspend", "reason": "等待产权单位确认",
                                         "duration_wd": 5})
    with time_machine.travel(at(2026, 11, 24, 10), tick=False):
        case = as_user("supervisor").post(f"/api/v1/cases/{case['id']}/transitions",
                                          json={"action": "resume"}).json
    assert before == iso(at(2026, 11, 30, 10))
    assert case["deadlines"]["handle"]["deadline"] == iso(at(2026, 12, 1, 10))
    assert case["deadlines"]["handle"]["deadline"] == iso(
        naive_add_working_minutes(at(2026, 11, 23, 10), 6 * 420))


def test_a_suspended_case_shows_its_clocks_paused(case_in, as_user):
    case = case_in("in_progress")
    case = as_user("supervisor").post(f"/api/v1/cases/{case['id']}/transitions",
                                      json={"action": "suspend", "reason": "待确认",
                                            "duration_wd": 2}).json
    assert case["light"] == "paused" and case["deadlines"]["handle"]["paused"]
    assert case["suspension"]["until"] is not None


def test_a_suspension_until_a_past_moment_is_refused(case_in, as_user):
    case = case_in("in_progress")
    response = as_user("supervisor").post(f"/api/v1/cases/{case['id']}/transitions", json={
        "action": "suspend", "reason": "待确认", "until": iso_from_now(hours=-1)})
    assert response.status_code == 422 and response.json["errors"]["reason"] == "invalid_until"
    assert as_user("supervisor").get(f"/api/v1/cases/{case['id']}").json["status"] == \
        "in_progress"


def extension(as_user, case, **body):
    return as_user("handler").post(f"/api/v1/cases/{case['id']}/transitions",
                                   json={"action": "request_extension", "reason": "需协调",
                                         **body})


def test_an_approved_extension_moves_the_handle_deadline(case_in, as_user, hotline_county):
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        case = case_in("in_progress")
        assert extension(as_user, case, duration_wd=3).status_code == 200
        case = as_user("supervisor").post(f"/api/v1/cases/{case['id']}/transitions",
                                          json={"action": "approve_extension"}).json
    assert case["deadlines"]["handle"]["deadline"] == iso(at(2026, 12, 3, 10))


def test_an_extension_beyond_the_profiles_maximum_is_refused(case_in, as_user, hotline_county):
    case = case_in("in_progress")
    response = extension(as_user, case, duration_wd=11)
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "extension_too_long"
    assert "duration_wd" in response.json["errors"]["fields"]
    assert as_user("handler").get(f"/api/v1/cases/{case['id']}").json["extension"] is None


def test_an_extension_more_than_a_year_ahead_is_refused_without_a_maximum(case_in, as_user):
    as_user("platform").post("/api/v1/sla-profiles", json={**PROFILE, "is_default": True})
    as_user("admin").put("/api/v1/regions/371083/sla-profile", json={"profile": "township"})
    case = case_in("in_progress")
    response = extension(as_user, case, until=iso_from_now(days=400))
    assert response.status_code == 422
    assert response.json["errors"]["reason"] == "invalid_extension"


def test_an_extension_to_an_earlier_moment_is_refused(case_in, as_user):
    case = case_in("in_progress")
    response = extension(as_user, case, until=iso_from_now(hours=-1))
    assert response.json["errors"]["reason"] == "invalid_extension"


def test_a_return_after_the_window_is_refused(case_in, as_user, hotline_county):
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        case = case_in("dispatched")
    with time_machine.travel(at(2026, 11, 25, 10, 1), tick=False):
        response = as_user("handler").post(f"/api/v1/cases/{case['id']}/transitions",
                                           json={"action": "return", "reason": "不属本部门"})
    assert response.status_code == 409
    assert response.json["errors"]["reason"] == "return_window_closed"


def test_closing_on_time_sets_the_indicator_flags(case_in, as_user):
    case = case_in("closed")
    from server.cases.models import Case

    stored = Case.objects.get(id=case["id"])
    assert stored.flags == {"accepted": True, "dispatched": True, "ontime_dispatch": True,
                            "ontime_sign": True, "due": True, "handled": True,
                            "ontime_handle": True, "closed": True, "ontime_close": True}
    assert case["deadlines"]["verify"]["on_time"] is True
    assert case["light"] is None


@pytest.mark.parametrize("code", ["szcg", "sd12345"])
def test_the_presets_accept_and_dispatch_urgent_cases_within_an_hour_around_the_clock(demo, code):
    from server.catalog import sla_profiles
    from workflows.sla_policy import Limit

    limits = sla_profiles.profile(code).limits_for("0102", "urgent")
    assert (limits["accept"], limits["dispatch"]) == (Limit(1, "h"), Limit(1, "h"))
    assert not limits["accept"].working
    assert sla_profiles.profile(code).limits_for("0102", "normal")["accept"].working


def test_a_profile_shows_which_limits_run_on_natural_and_which_on_working_time(as_user):
    profile = as_user("admin").get("/api/v1/sla-profiles/szcg").json
    urgent = next(r for r in profile["rules"] if r["category"] == "" and r["priority"] == "urgent")
    assert urgent["limits"]["accept"] == {"amount": 1, "unit": "h", "clock": "natural"}
    general = next(r for r in profile["rules"] if r["category"] == "" and r["priority"] == "*")
    assert general["limits"]["handle"]["clock"] == "working"


def test_a_profile_read_can_be_written_back_and_a_wrong_clock_is_refused(as_user):
    admin = as_user("platform")
    profile = admin.get("/api/v1/sla-profiles/sd12345").json
    body = {k: v for k, v in profile.items() if k not in ("code", "regions", "updated_at")}
    assert admin.put("/api/v1/sla-profiles/sd12345", json=body).status_code == 200
    body["rules"][0]["limits"]["handle"]["clock"] = "natural"  # 5 wd
    response = admin.put("/api/v1/sla-profiles/sd12345", json=body)
    assert response.status_code == 422 and "clock" in str(response.json["errors"])
