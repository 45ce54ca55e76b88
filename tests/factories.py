"""factory_boy factories for what the demo county does not have."""

from __future__ import annotations

import factory
from bson import ObjectId
from factory.mongoengine import MongoEngineFactory

from server.auth.models import User
from server.cases.models import Case
from server.cases.scope import scope_keys
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
