"""Finding 15 of the security review: the lockout counts atomically, a stranger cannot lock a
user out from elsewhere, and client assertions name our configured URL, not the Host header."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from server.auth import service as auth_service
from server.demo import DEMO_PASSWORD
from tests.security.conftest import TOKEN_URL


def sign_in(client, password, address="10.0.0.1"):
    return client.post("/api/v1/auth/token", environ_base={"REMOTE_ADDR": address}, json={
        "grant_type": "password", "username": "dispatcher", "password": password})


def test_parallel_wrong_passwords_are_checked_at_most_five_times(app, demo, monkeypatch):
    checked, lock = [], threading.Lock()
    real = auth_service.verify_password

    def counting(stored, password):
        with lock:
            checked.append(password)
        return real(stored, password)

    monkeypatch.setattr(auth_service, "verify_password", counting)
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda i: sign_in(app.test_client(), f"guess-{i}").status_code, range(10)))
    assert answers == [401] * 10 and len(checked) == 5


def test_five_failures_lock_the_username_from_that_address(client, demo):
    for _ in range(5):
        sign_in(client, "wrong")
    response = sign_in(client, DEMO_PASSWORD)
    assert response.status_code == 401 and response.json["errors"]["reason"] == "locked"


def test_a_stranger_elsewhere_cannot_lock_the_user_out(client, demo):
    for _ in range(6):
        sign_in(client, "wrong", address="203.0.113.66")
    assert sign_in(client, DEMO_PASSWORD, address="10.0.0.1").status_code == 200


def test_a_success_clears_the_count(client, demo):
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client, DEMO_PASSWORD).status_code == 200
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client, DEMO_PASSWORD).status_code == 200


@pytest.fixture
def public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://grid.example.gov.cn")


def test_an_assertion_for_the_host_header_is_refused_when_a_public_url_is_set(
        register_app, client_token, client, public_url):
    sister = register_app()
    forged = sister.assertion(aud="http://attacker.example/api/v1/auth/token")
    response = client.post("/api/v1/auth/token", base_url="http://attacker.example", data={
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": forged})
    assert response.status_code == 401


def test_an_assertion_for_the_public_url_is_accepted(register_app, client_token, public_url):
    sister = register_app()
    response = client_token(sister, sister.assertion(aud="https://grid.example.gov.cn/api/v1/auth/token"))
    assert response.status_code == 200


def test_without_a_public_url_the_local_token_url_is_the_audience(register_app, client_token):
    sister = register_app()
    assert client_token(sister, sister.assertion(aud=TOKEN_URL)).status_code == 200
