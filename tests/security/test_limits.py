"""Rate limits (429 with Retry-After, counters shared through Redis), security headers, CORS."""

from __future__ import annotations

import pytest
import redis
from flask import Flask

from server.demo import DEMO_PASSWORD
from server.extensions.limits import init_limits
from tests.cases import case_body
from tests.redis_server import REDIS_URL

ORIGIN = "https://miniapp.rushan.example"


@pytest.fixture
def limits(app):
    """`limits(RATE_LIMIT_TOKEN_IP="3/minute", ...)` for this test."""
    saved = {}

    def set_(**settings):
        for key in settings:
            saved.setdefault(key, app.config[key])
        app.config.update(settings)
    yield set_
    app.config.update(saved)


def swap_limiter(app, storage_uri):
    """The app's counters in `storage_uri` from now on, as a fresh API process would have them."""
    scratch = Flask("limiter")
    scratch.config.update(RATELIMIT_STORAGE_URI=storage_uri)
    app.extensions["gridhub_limiter"] = init_limits(scratch)


@pytest.fixture
def redis_limiter(app):
    redis.Redis.from_url(REDIS_URL.replace("/15", "/13")).flushdb()
    memory = app.extensions["gridhub_limiter"]
    yield lambda: swap_limiter(app, REDIS_URL.replace("/15", "/13"))
    app.extensions["gridhub_limiter"] = memory


def sign_in(client, username="dispatcher", password=DEMO_PASSWORD, **headers):
    return client.post("/api/v1/auth/token", json={"grant_type": "password", "username": username,
                                                   "password": password}, headers=headers)


def test_the_token_endpoint_answers_429_with_retry_after_past_the_per_ip_limit(client, demo, limits):
    limits(RATE_LIMIT_TOKEN_IP="3/minute")
    answers = [sign_in(client) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.json["errors"]["reason"] == "rate_limited"
    assert refused.json["errors"]["retry_after"] == int(refused.headers["Retry-After"])


def test_password_sign_ins_are_limited_per_username_whatever_its_case_and_address(client, demo, limits):
    limits(RATE_LIMIT_TOKEN_USER="2/minute")
    codes = [client.post("/api/v1/auth/token", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}, json={
        "grant_type": "password", "username": "Dispatcher" if i else "dispatcher",
        "password": DEMO_PASSWORD}).status_code for i in range(3)]
    assert codes == [200, 401, 429]  # "Dispatcher" is no user, but it counts for "dispatcher"


def test_another_username_is_not_held_back_by_one_that_is_limited(client, demo, limits):
    limits(RATE_LIMIT_TOKEN_USER="1/minute")
    assert [sign_in(client, "dispatcher").status_code, sign_in(client, "dispatcher").status_code,
            sign_in(client, "supervisor").status_code] == [200, 429, 200]


def test_a_forged_x_forwarded_for_does_not_escape_the_per_ip_limit(client, demo, limits):
    limits(RATE_LIMIT_TOKEN_IP="2/minute")
    codes = [client.post("/api/v1/auth/token", json={"grant_type": "password", "username": f"u{i}",
                                                     "password": "x"},
                         headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(3)]
    assert codes == [401, 401, 429]


def test_case_reports_are_limited_per_principal(as_user, limits):
    limits(RATE_LIMIT_REPORTS="2/minute")
    worker, resident = as_user("gridworker"), as_user("resident")
    codes = [worker.post("/api/v1/cases", json=case_body()).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert resident.post("/api/v1/cases", json=case_body(category="0102")).status_code == 201


def test_a_refused_report_writes_nothing(as_user, limits):
    from server.cases.models import Case

    limits(RATE_LIMIT_REPORTS="1/minute")
    worker = as_user("gridworker")
    worker.post("/api/v1/cases", json=case_body())
    assert worker.post("/api/v1/cases", json=case_body()).status_code == 429 and Case.objects.count() == 1


def test_counters_live_in_redis_so_another_api_process_sees_them(app, client, demo, limits, redis_limiter):
    limits(RATE_LIMIT_TOKEN_IP="2/minute")
    redis_limiter()
    assert [sign_in(client).status_code for _ in range(2)] == [200, 200]
    redis_limiter()  # a new process: a fresh limiter on the same Redis
    assert sign_in(client).status_code == 429


def test_with_the_counter_store_down_requests_still_go_through(app, client, demo, limits, own_redis):
    limits(RATE_LIMIT_TOKEN_IP="1/minute")
    saved = app.extensions["gridhub_limiter"]
    swap_limiter(app, own_redis.url)
    own_redis.stop()
    try:
        assert [sign_in(client).status_code for _ in range(2)] == [200, 200]
    finally:
        app.extensions["gridhub_limiter"] = saved


# --- headers ---------------------------------------------------------------------------------
def test_api_answers_carry_the_security_headers(as_user):
    headers = as_user("dispatcher").get("/api/v1/me").headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"


def test_https_answers_carry_hsts(client):
    assert "max-age" in client.get("/healthz", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_plain_http_answers_carry_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_the_docs_page_may_run_its_own_scripts(client):
    assert "script-src 'self'" in client.get("/api/docs").headers["Content-Security-Policy"]


# --- CORS ------------------------------------------------------------------------------------
@pytest.fixture
def cors(app):
    saved = app.config["CORS_ORIGINS"]
    app.config["CORS_ORIGINS"] = [ORIGIN]
    yield
    app.config["CORS_ORIGINS"] = saved


def preflight(client, origin):
    return client.options("/api/v1/cases", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})


def test_a_preflight_from_a_configured_mini_app_origin_is_allowed(client, cors):
    response = preflight(client, ORIGIN)
    assert response.status_code == 204 and "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_a_preflight_from_another_origin_gets_no_cors_grant(client, cors):
    response = preflight(client, "https://evil.example")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_answer_to_an_allowed_origin_names_it_and_exposes_pagination(as_user, cors):
    response = as_user("dispatcher").get("/api/v1/cases", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Pagination" in response.headers["Access-Control-Expose-Headers"]
    assert "Origin" in response.headers["Vary"]


def test_no_origin_is_allowed_unless_configured(as_user):
    response = as_user("dispatcher").get("/api/v1/cases", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
