"""Residents' single sign-on: RFC 8693 token exchange of a hub ticket, through the dev identity
provider (demo) and the HTTP provider talking to a local fake of the hub's ticket service."""

from __future__ import annotations

import time

import pytest
import time_machine

from scripts.fake_hub_sso import FakeHubSso
from server.audit.models import AuditEntry
from server.auth.identity import TICKET_TOKEN_TYPE
from server.auth.models import User
from server.demo import DEMO_RESIDENT_PHONE, DEMO_RESIDENT_SUBJECT
from server.extensions.db import get_db

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


@pytest.fixture
def use_provider(app):
    """`use_provider("dev")` or `use_provider("http", HUB_SSO_URL=...)` for this test."""
    keys = ("IDENTITY_PROVIDER", "HUB_SSO_URL", "HUB_SSO_APP_ID", "HUB_SSO_APP_SECRET", "HUB_SSO_TIMEOUT")
    saved = {key: app.config.get(key) for key in keys}

    def use(kind, **settings):
        app.config.update(IDENTITY_PROVIDER=kind, **settings)
        app.extensions.pop("gridhub_idp", None)

    yield use
    app.config.update(saved)
    app.extensions.pop("gridhub_idp", None)


@pytest.fixture
def exchange(client):
    def post(ticket, token_type=TICKET_TOKEN_TYPE, **extra):
        return client.post("/api/v1/auth/token", data={
            "grant_type": EXCHANGE, "subject_token": ticket, "subject_token_type": token_type, **extra})
    return post


@pytest.fixture
def dev_ticket(client, demo, use_provider):
    use_provider("dev")

    def mint(subject=DEMO_RESIDENT_SUBJECT):
        response = client.post("/api/v1/auth/dev-tickets", json={"subject": subject})
        assert response.status_code == 201, response.json
        return response.json["ticket"]
    return mint


@pytest.fixture(scope="module")
def hub_sso():
    with FakeHubSso("gridhub-test", "hub-secret") as fake:
        yield fake


@pytest.fixture
def http_provider(hub_sso, use_provider, demo):
    hub_sso.fail_with, hub_sso.delay = None, 0.0
    use_provider("http", HUB_SSO_URL=hub_sso.url, HUB_SSO_APP_ID="gridhub-test",
                 HUB_SSO_APP_SECRET="hub-secret", HUB_SSO_TIMEOUT=1)
    return hub_sso


def me(client, access_token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {access_token}"})


# --- the dev provider ------------------------------------------------------------------------
def test_a_demo_ticket_exchanges_for_the_demo_residents_tokens(client, exchange, dev_ticket):
    body = exchange(dev_ticket()).json
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    who = me(client, body["access_token"]).json
    assert who["roles"] == ["resident"] and who["name"] == "居民王女士" and who["level"] == 2
    assert who["phone"] == DEMO_RESIDENT_PHONE and body["refresh_token"]


def test_a_ticket_is_good_once(exchange, dev_ticket):
    ticket = dev_ticket()
    assert exchange(ticket).status_code == 200
    replay = exchange(ticket)
    assert replay.status_code == 401 and replay.json["errors"]["reason"] == "invalid_grant"


def test_a_tampered_demo_ticket_is_refused(exchange, dev_ticket):
    prefix, body, signature = dev_ticket().split(".")
    assert exchange(f"{prefix}.{body}x.{signature}").status_code == 401


def test_a_demo_ticket_expires_after_five_minutes(exchange, dev_ticket):
    ticket = dev_ticket()
    with time_machine.travel(time.time() + 301):
        assert exchange(ticket).status_code == 401


def test_demo_tickets_are_only_minted_for_demo_residents(client, dev_ticket):
    response = client.post("/api/v1/auth/dev-tickets", json={"subject": "somebody-else"})
    assert response.status_code == 404 and response.json["errors"]["reason"] == "unknown_subject"


def test_no_demo_tickets_are_minted_unless_the_dev_provider_is_configured(client, demo, use_provider):
    use_provider("http", HUB_SSO_URL="http://127.0.0.1:9", HUB_SSO_APP_ID="a", HUB_SSO_APP_SECRET="s")
    assert client.post("/api/v1/auth/dev-tickets", json={}).status_code == 404


def test_token_exchange_without_an_identity_provider_is_an_unsupported_grant(exchange, demo, use_provider):
    use_provider(None)
    response = exchange("anything")
    assert response.status_code == 400 and response.json["errors"]["reason"] == "unsupported_grant_type"


def test_an_unknown_subject_token_type_is_refused(exchange, dev_ticket):
    response = exchange(dev_ticket(), token_type="urn:ietf:params:oauth:token-type:jwt")
    assert response.status_code == 400 and response.json["errors"]["reason"] == "invalid_request"


def test_token_exchange_without_a_subject_token_is_a_validation_error(client, dev_ticket):
    response = client.post("/api/v1/auth/token", data={"grant_type": EXCHANGE,
                                                       "subject_token_type": TICKET_TOKEN_TYPE})
    assert response.status_code == 422 and "subject_token" in str(response.json["errors"])


# --- the HTTP provider against the fake hub --------------------------------------------------
def test_a_first_hub_sign_in_creates_the_resident_with_sealed_personal_data(client, exchange, http_provider):
    ticket = http_provider.issue(user_id="ish-778899", name="李先生", mobile="13912345678",
                                 id_card="37108319900101123X", auth_level=3)
    who = me(client, exchange(ticket).json["access_token"]).json
    assert who["roles"] == ["resident"] and who["name"] == "李先生" and who["level"] == 3
    raw = get_db().users.find_one({"hub_subject": "ish-778899"})
    assert "13912345678" not in str(raw) and "37108319900101123X" not in str(raw)
    assert User.objects.get(hub_subject="ish-778899").id_number == "37108319900101123X"


def test_a_later_hub_sign_in_is_the_same_resident_with_what_the_hub_says_now(client, exchange, http_provider):
    def sign_in(**identity):
        return me(client, exchange(http_provider.issue(**identity)).json["access_token"]).json

    first = sign_in(user_id="ish-1", name="李先生")
    again = sign_in(user_id="ish-1", name="李建国", mobile="13900000001")
    assert again["id"] == first["id"] and again["name"] == "李建国" and again["phone"] == "13900000001"


def test_the_hub_request_is_signed_with_the_app_secret(exchange, http_provider):
    exchange(http_provider.issue(user_id="ish-2", name="张女士"))
    sent = http_provider.requests[-1]
    assert sent["app_id"] == "gridhub-test" and len(sent["sign"]) == 64 and sent["nonce"]


def test_a_ticket_the_hub_refuses_is_invalid_grant(exchange, http_provider):
    response = exchange("ST-forged")
    assert response.status_code == 401 and response.json["errors"]["reason"] == "invalid_grant"


def test_a_wrong_app_secret_is_refused_by_the_hub(exchange, http_provider, use_provider):
    use_provider("http", HUB_SSO_APP_SECRET="not-the-secret")
    assert exchange(http_provider.issue(user_id="ish-3", name="赵先生")).status_code == 401


def test_a_hub_that_answers_502_makes_the_exchange_503_with_retry_after(exchange, http_provider):
    http_provider.fail_with = 502
    response = exchange(http_provider.issue(user_id="ish-4", name="钱女士"))
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json["errors"]["reason"] == "idp_unavailable"


def test_a_hub_slower_than_the_timeout_makes_the_exchange_503(exchange, http_provider):
    http_provider.delay = 1.5
    assert exchange(http_provider.issue(user_id="ish-5", name="孙先生")).status_code == 503


def test_a_hub_that_is_down_makes_the_exchange_503(exchange, http_provider, use_provider):
    use_provider("http", HUB_SSO_URL="http://127.0.0.1:9/sso")
    assert exchange("ST-any").status_code == 503


def test_a_staff_account_cannot_be_taken_over_through_the_hub(exchange, http_provider):
    User.objects(username="handler").update_one(set__hub_subject="ish-staff")
    response = exchange(http_provider.issue(user_id="ish-staff", name="冒充者"))
    assert response.status_code == 401 and User.objects.get(username="handler").name == "城管局处置员"


def test_every_exchange_is_audited_with_its_result(exchange, http_provider):
    exchange(http_provider.issue(user_id="ish-6", name="周女士"))
    exchange("ST-forged")
    entries = AuditEntry.objects(action="auth.exchange").order_by("at")
    results = [(e.result, e.detail.get("reason")) for e in entries]
    assert results == [("success", None), ("failure", "invalid_grant")]
