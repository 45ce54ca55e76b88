"""Granting tokens."""

from __future__ import annotations

from typing import Any

from server.auth.models import User
from server.auth.passwords import verify_password
from server.auth.principals import user_claims
from server.auth.tokens import issue_access_token
from server.errors import Unauthorized


def password_grant(*, username: str, password: str) -> dict[str, Any]:
    """Exchange a staff or resident username and password for an access token."""
    user = User.objects(username=username).first()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        # One message for unknown user, wrong password and disabled account alike.
        raise Unauthorized("用户名或密码错误", reason="invalid_grant")
    token, ttl = issue_access_token(subject=f"user:{user.id}", claims=user_claims(user))
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "scope": ""}
