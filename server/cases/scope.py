"""Data scope (DESIGN §1): which cases a principal may see, and who is back-office staff —
the one place each rule lives."""

from __future__ import annotations

from mongoengine import Q

from server.auth.principals import Principal
from workflows import case_machine as machine

DEPARTMENT = "dept:"


def scope_keys(*, region_path: list[str], department: str | None, reporter: str) -> list[str]:
    """What a case is seen through (stored on it as `scope`, one multikey index): each region of
    its path (county … grid), its department, its reporter. Kept by the case's one writer
    (report, and each transition that changes the department)."""
    return [*region_path, *([DEPARTMENT + department] if department else []), reporter]


def scope_filter(principal: Principal) -> Q:
    """The cases a principal may see (data scope); the one place this rule lives.

    One `$in` on the `scope` keys rather than an `$or` of fields: the same cases, and an index
    scan on every server (SecantusDB plans an `$or` as a collection scan: docs/DATABASE.md)."""
    if principal.has_role("platform_admin"):
        return Q()
    keys = [principal.key]
    if principal.has_role("admin") and principal.county:  # a county's admin: the county
        keys.append(principal.county)
    if principal.has_role("dispatcher", "supervisor") and principal.org_kind == "region":
        keys.append(principal.org)
    if principal.has_role("handler") and principal.org_kind == "department":
        keys.append(DEPARTMENT + principal.org)
    if principal.has_role("grid_worker") and principal.grids:
        keys.extend(sorted(principal.grids))
    return Q(scope__in=keys) if len(keys) > 1 else Q(scope=keys[0])


def is_staff(principal: Principal) -> bool:
    """Back-office staff (every role but resident) read the whole history with staff notes;
    residents and sister apps read what is written for the reporter."""
    return principal.kind == "user" and principal.has_role(*machine.STAFF_ROLES)
