"""Signing-key rotation: `gridhub keys rotate` / `gridhub keys list` and the JWKS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import time_machine

from server.cli import cli
from tests.conftest import token_for


def rotate(app):
    result = app.test_cli_runner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    return result.output


def kids(client):
    return [key["kid"] for key in client.get("/.well-known/jwks.json").json["keys"]]


def me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_after_a_rotation_new_tokens_use_the_new_key_and_old_ones_still_verify(app, client, demo):
    old = token_for("dispatcher")
    rotate(app)
    new = token_for("dispatcher")
    assert jwt.get_unverified_header(new)["kid"] != jwt.get_unverified_header(old)["kid"]
    assert me(client, old).status_code == 200 and me(client, new).status_code == 200
    assert set(kids(client)) == {jwt.get_unverified_header(t)["kid"] for t in (old, new)}


def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_expired(app, client, demo):
    old_kid = jwt.get_unverified_header(token_for("dispatcher"))["kid"]
    rotate(app)
    app.extensions["gridhub_keyring"].clear()
    grace = app.config["ACCESS_TOKEN_TTL"] + app.config["JWT_LEEWAY"]
    later = datetime.now(UTC) + timedelta(seconds=grace + 1)
    with time_machine.travel(later):
        assert old_kid not in kids(client) and len(kids(client)) == 1


def test_keys_list_shows_states_and_never_a_private_key(app, demo):
    token_for("dispatcher")
    rotate(app)
    output = app.test_cli_runner().invoke(cli, ["keys", "list"]).output
    assert "active" in output and "published" in output and "PRIVATE" not in output
