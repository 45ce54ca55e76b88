"""factory_boy factories for what the demo county does not have."""

from __future__ import annotations

import factory
from bson import ObjectId
from factory.mongoengine import MongoEngineFactory

from server.auth.models import User
from server.auth.principals import Principal, principal_from_claims, user_claims
from server.cases import service
from server.cases.models import Case
from server.cases.schemas import CaseCreateSchema, CaseSchema
from server.cases.scope import scope_keys
from tests.cases import CLOSED_LOOP, IN_GRID, STEPS_TO
from tests.clock import at
from tests.conftest import DEMO_HASH


class UserFactory(MongoEngineFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"测试用户{n}")
    password_hash = DEMO_HASH
    role = "resident"
    org = None
    org_kind = None


def handler_of(department: str, **kwargs) -> User:
    return UserFactory(role="handler", org=department, org_kind="department", **kwargs)


def staff_of(region: str, role: str, **kwargs) -> User:
    return UserFactory(role=role, org=region, org_kind="region", **kwargs)


def platform_admin(**kwargs) -> User:
    """The platform's admin: every county, bound to no node."""
    return UserFactory(role="platform_admin", **kwargs)


# A Monday in the indicator tests' period (they read November 2026 by explicit dates).
STATS_DAY = at(2026, 11, 2, 10)


def insert_cases(count, *, region_path=("371083", "371083001", "371083001001",
                                        "371083001001001"), category="0102", department=
                 "371083-cgj", status="closed", day=STATS_DAY, handle_wm=0.0, **flags):
    """Cases as the workflow leaves them, written straight to the database (fast)."""
    Case._get_collection().insert_many([{
        "_id": ObjectId(), "code": f"371083-{day:%Y%m%d}-{ObjectId()}", "status": status,
        "category": category, "priority": "normal", "source": "grid_worker",
        "description": "x", "location": {"type": "Point", "coordinates": [121.525, 36.915]},
        "region_path": list(region_path), "grid": region_path[-1], "department": department,
        "scope": scope_keys(region_path=list(region_path), department=department,
                            reporter="user:x"),
        "reporter": "user:x", "version": 1, "history": [], "flags": dict(flags),
        "handle_wm": handle_wm, "created_at": day, "created_day": f"{day:%Y-%m-%d}",
        "updated_at": day,
    } for _ in range(count)])


def principal_of(username: str) -> Principal:
    """The principal a demo (or factory) user's token would carry."""
    user = User.objects.get(username=username)
    return principal_from_claims({"sub": f"user:{user.id}", **user_claims(user)})


class CaseFactory(factory.Factory):
    """A case reported and walked through the closed loop by the case service itself (no
    HTTP): `CaseFactory()` is reported; `CaseFactory(in_progress=True)` signed by the handler,
    and so on. Answers the case as the API would (`CaseSchema`, seen by the last actor)."""

    class Meta:
        model = dict

    reporter = "gridworker"
    steps = 0  # how far along CLOSED_LOOP (a trait sets it)
    category = "0102"
    description = "路边堆放暴露垃圾"
    location = factory.LazyFunction(lambda: dict(IN_GRID))
    address = "胜利街12号"

    class Params:
        accepted = factory.Trait(steps=STEPS_TO["accepted"])
        dispatched = factory.Trait(steps=STEPS_TO["dispatched"])
        in_progress = factory.Trait(steps=STEPS_TO["in_progress"])
        handled = factory.Trait(steps=STEPS_TO["handled"])
        closed = factory.Trait(steps=STEPS_TO["closed"])

    @classmethod
    def _create(cls, model_class, reporter: str, steps: int, **body):
        case, _ = service.report(principal=principal_of(reporter),
                                 data=CaseCreateSchema().load(body))
        for username, step in CLOSED_LOOP[:steps]:
            payload = dict(step)
            case = service.apply_transition(principal=principal_of(username), case_id=case.id,
                                            action=payload.pop("action"), payload=payload)
        return CaseSchema().dump(case)
