"""Rate limits (flask-limiter): counters in Redis so that every API process shares them.

Limits are enforced by name where the key is known — the token endpoint per client IP and per
username, case reports per principal — and a breach is a 429 in the envelope with
`Retry-After` (header and `errors.retry_after`). When the counter store is unreachable the
request goes through (logged): a limit must never take the service down with Redis.

Storage: `GRIDHUB_RATELIMIT_STORAGE_URI`; unset, the broker's Redis when the broker is Redis,
otherwise process memory (the embedded default, where there is only one process).
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many

from server.errors import TooManyRequests

log = logging.getLogger(__name__)


def client_ip() -> str:
    """The caller's address. X-Forwarded-For counts only through GRIDHUB_TRUSTED_PROXIES
    (werkzeug's ProxyFix), so a forged header changes nothing."""
    return request.remote_addr or "unknown"


def storage_uri(config) -> str:
    configured = config.get("RATELIMIT_STORAGE_URI")
    if configured:
        return configured
    broker = config.get("CELERY_BROKER_URL") or ""
    return broker if broker.startswith(("redis://", "rediss://")) else "memory://"


def init_limits(app: Flask) -> Limiter:
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config)
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "gridhub")
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 1, "socket_connect_timeout": 1}
                          if app.config["RATELIMIT_STORAGE_URI"].startswith("redis") else {})
    limiter = Limiter(key_func=client_ip, default_limits=[], headers_enabled=False)
    limiter.init_app(app)
    app.extensions["gridhub_limiter"] = limiter
    return limiter


def _items(setting: str) -> list[RateLimitItem]:
    cache = current_app.extensions.setdefault("gridhub_limit_items", {})
    spec = current_app.config[setting]
    if spec not in cache:
        cache[spec] = parse_many(spec) if spec else []
    return cache[spec]


def enforce(setting: str, key: str) -> None:
    """Count one hit against every limit of `setting` (e.g. "30/minute;500/day") for `key`;
    TooManyRequests with the seconds to wait when one is exhausted."""
    if not current_app.config.get("RATE_LIMITS_ENABLED", True):
        return
    limiter: Limiter = current_app.extensions["gridhub_limiter"]
    for item in _items(setting):
        try:
            allowed = limiter.limiter.hit(item, setting, key)
            reset_at = None if allowed else limiter.limiter.get_window_stats(item, setting, key).reset_time
        except Exception as exc:  # the counter store is down: let the request through
            log.warning("rate limit %s not checked (%s: %s)", setting, type(exc).__name__, exc)
            return
        if not allowed:
            wait = max(1, math.ceil(reset_at - time.time()))
            raise TooManyRequests(f"请求过于频繁，请 {wait} 秒后再试", reason="rate_limited",
                                  headers={"Retry-After": str(wait)}, retry_after=wait,
                                  limit=str(item))
