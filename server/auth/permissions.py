"""Role checks for administrative endpoints (the identity issue grows this into the full
(principal, action, target) table)."""

from __future__ import annotations

from server.auth.principals import Principal
from server.errors import Forbidden


def require_roles(principal: Principal, *roles: str) -> None:
    """Forbidden unless the principal holds one of the roles."""
    if not principal.has_role(*roles):
        raise Forbidden("当前角色无权执行此操作", reason="forbidden", why="role_not_allowed")
