"""The case service called directly, as the views, the sweep and Open311 call it."""

from __future__ import annotations

import pytest
from bson import ObjectId

from server.cases import service
from server.cases.models import Case
from server.errors import Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable
from tests.factories import CaseFactory, principal_of


def test_a_transition_returns_the_case_presented_to_its_actor(demo):
    case = CaseFactory(dispatched=True)
    signed = service.apply_transition(principal=principal_of("handler"),
                                      case_id=ObjectId(case["id"]), action="sign", payload={})
    assert (signed.status, signed.version) == ("in_progress", case["version"] + 1)
    assert signed.reporter_view["key"] == case["reporter"]["key"] and signed.light_now == "green"


def test_a_role_that_can_never_take_the_action_is_refused_before_the_case_is_read(demo):
    with pytest.raises(Forbidden):
        service.apply_transition(principal=principal_of("resident"), case_id=ObjectId(),
                                 action="dispatch", payload={"department": "371083-cgj"})


def test_a_case_outside_the_scope_is_not_found(demo):
    case = CaseFactory()
    Case.objects(id=case["id"]).update_one(set__scope=["371099"])
    with pytest.raises(NotFound):
        service.apply_transition(principal=principal_of("dispatcher"),
                                 case_id=ObjectId(case["id"]), action="accept", payload={})


def test_a_stale_version_is_refused_and_nothing_is_written(demo):
    case = CaseFactory()
    with pytest.raises(PreconditionFailed):
        service.apply_transition(principal=principal_of("dispatcher"),
                                 case_id=ObjectId(case["id"]), action="accept", payload={},
                                 if_match={"0"})
    assert Case.objects.get(id=case["id"]).version == case["version"]


def test_the_wrong_state_is_a_conflict_and_a_bad_department_is_unprocessable(demo):
    case = CaseFactory(accepted=True)
    dispatcher = principal_of("dispatcher")
    with pytest.raises(Conflict):
        service.apply_transition(principal=dispatcher, case_id=ObjectId(case["id"]),
                                 action="accept", payload={})
    with pytest.raises(Unprocessable):
        service.apply_transition(principal=dispatcher, case_id=ObjectId(case["id"]),
                                 action="dispatch", payload={"department": "nowhere"})
    assert Case.objects.get(id=case["id"]).status == "accepted"


def test_the_factory_walks_each_state_with_a_gapless_history(demo):
    case = CaseFactory(closed=True)
    stored = Case.objects.get(id=case["id"])
    assert stored.status == "closed"
    assert [e["seq"] for e in stored.history] == list(range(1, stored.version + 1))


def test_past_days_code_counters_are_pruned_and_today_and_yesterday_kept(demo):
    from server.cases.models import Counter
    from tests.clock import at

    keys = ["case:371083:20261128", "case:371083:20261130", "case:371083:20261201",
            "case:371002:20251231", "stamp:other"]
    Counter._get_collection().insert_many([{"_id": key, "seq": 3} for key in keys])
    assert service.prune_code_counters(now=at(2026, 12, 1, 0, 30)) == 2
    assert sorted(doc["_id"] for doc in Counter._get_collection().find({"_id": {"$in": keys}})) == [
        "case:371083:20261130", "case:371083:20261201", "stamp:other"]
