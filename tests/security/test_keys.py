"""Signing-key rotation: `gridhub keys rotate` / `gridhub keys list` and the JWKS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from server import create_app
from server.auth.tokens import _thumbprint, load_static_keys
from server.cli import cli
from server.config import ConfigError, TestConfig, from_env
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


# --- keys from files (production) ------------------------------------------------------------
def pem_of(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture
def file_keys(app, tmp_path):
    """Two keys in files, as GRIDHUB_SIGNING_KEY_FILES names them: the first signs."""
    paths = []
    for name, key in (("new.pem", ec.generate_private_key(ec.SECP256R1())),
                      ("old.pem", rsa.generate_private_key(public_exponent=65537, key_size=2048))):
        (tmp_path / name).write_text(pem_of(key))
        paths.append(str(tmp_path / name))
    pems = from_env({"GRIDHUB_SIGNING_KEY_FILES": ",".join(paths)})["SIGNING_KEYS"]
    app.extensions["gridhub_static_keys"] = load_static_keys(pems)
    yield app.extensions["gridhub_static_keys"]
    app.extensions["gridhub_static_keys"] = []


def test_with_key_files_tokens_are_signed_by_the_first_and_both_are_published(client, demo, file_keys):
    token = token_for("dispatcher")
    assert jwt.get_unverified_header(token)["kid"] == file_keys[0].kid
    assert kids(client) == [key.kid for key in file_keys] and me(client, token).status_code == 200


RFC7638_EXAMPLE = {  # RFC 7638 §3.1, with its thumbprint
    "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
         "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qv"
         "zqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6"
         "WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}


def test_a_key_id_is_its_rfc7638_thumbprint():
    assert _thumbprint(RFC7638_EXAMPLE) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_the_same_key_file_gives_the_same_kid_in_every_process(file_keys):
    pem = pem_of(file_keys[0].private)
    assert load_static_keys([pem])[0].kid == load_static_keys([pem])[0].kid == file_keys[0].kid


def test_the_published_jwks_holds_no_private_member(client, file_keys):
    published = client.get("/.well-known/jwks.json").json["keys"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & {member for key in published for member in key}


def test_keys_rotate_refuses_when_keys_come_from_files(app, file_keys):
    result = app.test_cli_runner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code != 0 and "GRIDHUB_SIGNING_KEY_FILES" in result.output


def test_a_token_signed_by_a_key_dropped_from_the_files_is_refused(app, client, demo, file_keys):
    app.extensions["gridhub_static_keys"] = file_keys[1:]
    app.extensions["gridhub_verified"].clear()
    old = jwt.encode({"sub": "x"}, file_keys[0].private, algorithm="ES256", headers={"kid": file_keys[0].kid})
    assert me(client, old).status_code == 401


@pytest.mark.parametrize("pem", ["not a key", pem_of(ec.generate_private_key(ec.SECP384R1()))])
def test_a_signing_key_that_is_not_a_usable_private_key_stops_start_up(pem):
    with pytest.raises(ConfigError, match="signing key"):
        create_app(TestConfig, {"SIGNING_KEYS": [pem]})


def test_a_missing_key_file_stops_start_up():
    with pytest.raises(ConfigError, match="GRIDHUB_SIGNING_KEY_FILES"):
        from_env({"GRIDHUB_SIGNING_KEY_FILES": "/nonexistent/key.pem"})


def test_a_key_in_the_environment_may_carry_escaped_newlines():
    pem = pem_of(ec.generate_private_key(ec.SECP256R1()))
    (key,) = load_static_keys(from_env({"GRIDHUB_SIGNING_KEY": pem.replace("\n", "\\n")})["SIGNING_KEYS"])
    assert key.alg == "ES256"
