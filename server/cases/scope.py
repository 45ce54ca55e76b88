"""Data scope (DESIGN §1): which cases a principal may see, and who is back-office staff —
the one place each rule lives."""

from __future__ import annotations

from mongoengine import Q

from server.auth.principals import Principal
from workflows import case_machine as machine


def scope_filter(principal: Principal) -> Q:
    """The cases a principal may see (data scope); the one place this rule lives."""
    if principal.has_role("platform_admin"):
        return Q()
    clauses = []
    if principal.has_role("admin") and principal.county:  # a county's admin: the county
        clauses.append(Q(region_path=principal.county))
    if principal.has_role("dispatcher", "supervisor") and principal.org_kind == "region":
        clauses.append(Q(region_path=principal.org))
    if principal.has_role("handler") and principal.org_kind == "department":
        clauses.append(Q(department=principal.org))
    if principal.has_role("grid_worker") and principal.grids:
        clauses.append(Q(grid__in=sorted(principal.grids)))
    clauses.append(Q(reporter=principal.key))
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def is_staff(principal: Principal) -> bool:
    """Back-office staff (every role but resident) read the whole history with staff notes;
    residents and sister apps read what is written for the reporter."""
    return principal.kind == "user" and principal.has_role(*machine.STAFF_ROLES)
