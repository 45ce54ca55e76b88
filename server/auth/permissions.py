"""Who may call what, in one place (DESIGN §7): (principal, operation) → allow or deny with a
reason. An operation is (endpoint, method). Users are checked against the roles of the rule;
sister apps' tokens against its scope — an operation without a scope is closed to them.
Services still apply the finer rules that need the target: data scope (which cases one sees)
and the case workflow's permits.

`RULES` (or `PUBLIC`) must name every operation of the API: a test walks the OpenAPI document, so a new
endpoint without a rule fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.auth.principals import Principal
from server.errors import Forbidden
from workflows.case_table import ROLES

ANY_ROLE = frozenset(ROLES)
ADMINS = ("admin", "platform_admin")
ADMIN = frozenset(ADMINS)
PLATFORM = frozenset({"platform_admin"})  # what every county shares: catalogue, sister apps
OVERSIGHT = frozenset({"supervisor", "dispatcher", *ADMINS})
STAFF = frozenset({*OVERSIGHT, "handler", "grid_worker"})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]  # user roles allowed
    scope: str | None = None  # the scope a client token needs; None: closed to clients
    any_client: bool = False  # any client token, whatever its scopes (who-am-I)


def _rules(roles: frozenset[str], scope: str | None, *operations: str) -> dict[tuple[str, str], Rule]:
    return {(endpoint, method): Rule(roles, scope)
            for endpoint, _, method in (op.partition(" ") for op in operations)}


RULES: dict[tuple[str, str], Rule] = {
    # identity
    ("auth.Me", "GET"): Rule(ANY_ROLE, any_client=True),
    ("auth.Logout", "POST"): Rule(ANY_ROLE, any_client=True),
    **_rules(PLATFORM, None, "clients.Clients GET", "clients.Clients POST", "clients.ClientItem GET",
             "clients.ClientItem PATCH", "clients.ClientSecret POST", "clients.ClientApiKey POST"),
    **_rules(ADMIN, None, "audit.Audit GET",
             "organisation.Users GET", "organisation.Users POST", "organisation.UserItem GET",
             "organisation.UserItem PATCH"),
    # cases
    **_rules(ANY_ROLE, "cases:read", "cases.Cases GET", "cases.CaseItem GET", "cases.History GET",
             "cases.Actions GET", "cases.Timeline GET", "cases.AttachmentItem GET",
             "cases.AttachmentThumbnail GET", "cases.NearbyCases GET"),
    # me too (附议): residents and grid workers follow nearby cases
    **_rules(frozenset({"resident", "grid_worker"}), None, "cases.Follow POST", "cases.Follows GET",
             "cases.FollowItem DELETE"),
    # the grid worker's day (issue 18): workers patrol and check in; they and oversight read
    **_rules(frozenset({"grid_worker"}), None, "patrols.Patrols POST", "patrols.PatrolPoints POST",
             "patrols.PatrolEnd POST", "patrols.CheckIns POST", "patrols.WorkLogDay PUT",
             "patrols.Visits POST", "patrols.VisitPurposes GET"),
    **_rules(frozenset({*OVERSIGHT, "grid_worker"}), None, "patrols.Patrols GET",
             "patrols.PatrolItem GET", "patrols.CheckIns GET", "patrols.WorkLogs GET",
             "patrols.Visits GET", "patrols.PatrolMap GET", "patrols.WorkerStats GET",
             "patrols.WorkerStatsExport GET", "patrols.PointRulesItem GET"),
    **_rules(ADMIN, None, "patrols.PointRulesItem PUT"),
    # 常用语: staff pick them, a county's admin keeps them
    **_rules(STAFF, None, "catalog.ReplyTemplates GET"),
    **_rules(ADMIN, None, "catalog.ReplyTemplates POST", "catalog.ReplyTemplateItem PATCH",
             "catalog.ReplyTemplateItem DELETE"),
    # the list as a file: staff (the export refuses residents and sister apps)
    **_rules(STAFF, None, "cases.CasesExport GET"),
    **_rules(ANY_ROLE, "cases:write", "cases.Cases POST", "cases.Attachments POST",
             "cases.CaseAttachments POST"),
    **_rules(ANY_ROLE, "cases:transition", "cases.Transitions POST"),
    # reference data a reporter needs
    **_rules(ANY_ROLE, "cases:read", "grids.Locate GET"),
    **_rules(ANY_ROLE, None, "grids.Grids GET", "calendars.Calendar GET", "sla_profiles.Profiles GET",
             "sla_profiles.ProfileItem GET"),
    # the organisation's nodes name their staff (user ids in `staff`, `layers`, duty officials):
    # staff only
    **_rules(STAFF, None, "grids.Regions GET", "grids.RegionItem GET",
             "organisation.Departments GET", "organisation.DepartmentItem GET"),
    **_rules(PLATFORM, None, "catalog.Categories POST", "catalog.CategoryItem PATCH",
             "sla_profiles.Profiles POST", "sla_profiles.ProfileItem PUT",
             "sla_profiles.ProfileItem DELETE"),
    **_rules(ADMIN, None, "grids.Regions POST", "grids.RegionItem PATCH", "grids.RegionLayers PUT",
             "grids.RegionRetire POST", "grids.GridImport POST", "organisation.Departments POST",
             "organisation.DepartmentItem PATCH", "calendars.CalendarDays PUT",
             "calendars.CalendarHours PUT", "calendars.CalendarQuietHours PUT",
             "sla_profiles.RegionProfile PUT"),
    # supervision
    **_rules(OVERSIGHT, "stats:read", "supervision.Stats GET", "supervision.StatsExport GET",
             "supervision.Hotspots GET"),
    **_rules(OVERSIGHT, None, "supervision.Board GET", "supervision.BoardCounts GET",
             "supervision.Callbacks GET", "supervision.CallbackDone POST"),
    # notifications
    **_rules(ANY_ROLE, None, "inbox.Inbox GET", "inbox.UnreadCount GET", "inbox.MarkRead POST",
             "inbox.MarkAllRead POST", "inbox.Devices GET", "inbox.Devices POST",
             "inbox.DeviceItem DELETE", "inbox.Preferences GET", "inbox.Preferences PUT"),
    **_rules(ADMIN, None, "inbox.Deliveries GET", "inbox.Redrive POST"),
    # the hub
    **_rules(ADMIN, None, "hub.Halls POST", "hub.HallItem PATCH", "hub.HallItems POST", "hub.HubItem PATCH"),
    **_rules(OVERSIGHT, "hub:read", "hub.HallUsage GET"),
    **_rules(ANY_ROLE, None, "hub.Favourite PUT", "hub.Favourite DELETE"),
    **_rules(ADMIN, "webhooks", "webhooks.Subscriptions GET", "webhooks.Subscriptions POST",
             "webhooks.Subscription GET", "webhooks.Subscription PATCH",
             "webhooks.Subscription DELETE", "webhooks.Deliveries GET", "webhooks.TestDelivery POST"),
}


# Operations anyone may call without a token.
PUBLIC: frozenset[tuple[str, str]] = frozenset({
    ("auth.Token", "POST"), ("auth.DevTickets", "POST"), ("wellknown.Jwks", "GET"),
    ("catalog.Categories", "GET"), ("catalog.CategoryItem", "GET"),
    ("hub.HallItem", "GET"), ("hub.HallItems", "GET"), ("hub.HubItemUse", "POST"),
})


def decide(principal: Principal, endpoint: str | None, method: str) -> tuple[bool, str]:
    """(allowed, reason) for calling this operation at all."""
    rule = RULES.get((endpoint or "", method))
    if rule is None:
        return False, "no_rule"
    if principal.kind == "client":
        if rule.any_client:
            return True, "any_client"
        if rule.scope is None:
            return False, "not_for_clients"
        return (True, "scope") if rule.scope in principal.scopes else (False, "insufficient_scope")
    return (True, "role") if principal.has_role(*rule.roles) else (False, "role_not_allowed")


def check(principal: Principal, endpoint: str | None, method: str) -> None:
    allowed, why = decide(principal, endpoint, method)
    if not allowed:
        message = "接入应用的授权范围不含此接口" if principal.kind == "client" else "当前角色无权执行此操作"
        raise Forbidden(message, reason="insufficient_scope" if why == "insufficient_scope" else "forbidden",
                        why=why)


def require_platform_admin(principal: Principal) -> None:
    """Forbidden unless the platform's admin: what every county shares (the category catalogue,
    SLA profile definitions, sister apps) is not one county's to change."""
    require_roles(principal, *PLATFORM)


def require_admin(principal: Principal) -> None:
    """Forbidden unless a county's or the platform's admin (or a client, see require_roles)."""
    require_roles(principal, *ADMINS)


def require_admin_of(principal: Principal, region: str) -> None:
    """Forbidden unless an admin of the county `region` (any node code) lies in — or a platform
    admin. A county's admin changes nothing of another county's tree, calendar, SLA choice or
    hall."""
    require_admin(principal)
    county = admin_county(principal)
    if county is not None and not region.startswith(county):
        raise Forbidden("只能管理本县（市、区）的数据", reason="outside_county")


def admin_county(principal: Principal) -> str | None:
    """The county a county admin administers; None for a platform admin (every county)."""
    return None if principal.has_role("platform_admin") else principal.county or "-"


def require_roles(principal: Principal, *roles: str) -> None:
    """Forbidden unless the principal holds one of the roles (or is a client, whose scope the
    edge has already checked against RULES)."""
    if principal.kind != "client" and not principal.has_role(*roles):
        raise Forbidden("当前角色无权执行此操作", reason="forbidden", why="role_not_allowed")


# Roles holding `pii:read`: the county's administrators and the dispatchers who call residents
# back (受理回访). Everybody else — handlers, supervisors, grid workers, sister apps — sees masks.
PII_READ_ROLES = frozenset({"admin", "platform_admin", "dispatcher"})


def can_read_pii(principal: Principal | None, *, owner_key: str | None = None) -> bool:
    """May `principal` see personal data in clear: `pii:read`, or it is their own."""
    if principal is None:
        return False
    if owner_key is not None and principal.key == owner_key:
        return True
    return principal.kind == "user" and bool(principal.roles & PII_READ_ROLES)
