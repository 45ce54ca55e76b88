"""Case fixtures shared by the API and worker tests (a pytest plugin of the root conftest)."""

from __future__ import annotations

import pytest

# A point inside grid 371083001001001 (胜利街第一网格) of the demo county.
IN_GRID = {"lat": 36.915, "lng": 121.525}

CLOSED_LOOP = [
    ("dispatcher", {"action": "accept"}),
    ("dispatcher", {"action": "dispatch", "department": "371083-cgj"}),
    ("handler", {"action": "sign"}),
    ("handler", {"action": "handle", "result": "已清理完毕"}),
    ("gridworker", {"action": "verify_pass"}),
]
# The steps that bring a reported case into each state.
STEPS_TO = {
    "reported": 0, "accepted": 1, "dispatched": 2, "in_progress": 3, "handled": 4, "closed": 5,
}


@pytest.fixture
def hotline_county(as_user):
    """The demo county switched to the Shandong 12345 profile (handle in 5 working days)."""
    response = as_user("admin").put("/api/v1/regions/371083/sla-profile",
                                    json={"profile": "sd12345"})
    assert response.status_code == 200, response.json
    return response.json


def case_body(**overrides):
    body = {"category": "0102", "description": "路边堆放暴露垃圾", "location": dict(IN_GRID),
            "address": "胜利街12号"}
    body.update(overrides)
    return body


@pytest.fixture
def report(as_user):
    """`report(username="gridworker", **body)`: file a case, return its JSON."""

    def make(username="gridworker", headers=None, **overrides):
        response = as_user(username).post("/api/v1/cases", json=case_body(**overrides),
                                          headers=headers)
        assert response.status_code == 201, response.json
        return response.json

    return make


@pytest.fixture
def transition(as_user):
    """`transition(case_id, username, body)`: post one transition, return the response."""

    def post(case_id, username, body, headers=None):
        return as_user(username).post(f"/api/v1/cases/{case_id}/transitions", json=body,
                                      headers=headers)

    return post


@pytest.fixture
def case_in(demo):
    """`case_in("in_progress")`: a case reported by the grid worker and walked to that state
    by the case service (`tests.factories.CaseFactory`; no HTTP)."""
    from tests.factories import CaseFactory

    def make(state, reporter="gridworker", **overrides):
        return CaseFactory(reporter=reporter, steps=STEPS_TO[state], **overrides)

    return make
