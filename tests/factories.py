"""factory_boy factories for what the demo county does not have."""

from __future__ import annotations

import factory
from factory.mongoengine import MongoEngineFactory

from server.auth.models import User
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
