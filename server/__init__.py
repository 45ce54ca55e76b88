"""gridhub: the Flask application factory."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from server.config import Config, ConfigError, TestConfig, from_env
from server.errors import UnsupportedMediaType
from server.extensions.api import init_api
from server.extensions.db import init_db, ping
from server.timeutil import SHANGHAI

JSON_BODY = ("application/json",)
log = logging.getLogger(__name__)


class JSONProvider(DefaultJSONProvider):
    """ISO-8601 times in Asia/Shanghai, ObjectIds as strings; keeps Chinese readable."""

    ensure_ascii = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, datetime):
            return (o if o.tzinfo else o.replace(tzinfo=UTC)).astimezone(SHANGHAI).isoformat()
        if isinstance(o, ObjectId):
            return str(o)
        return DefaultJSONProvider.default(o)


# Celery's per-tick and per-task INFO lines; the domain's own logs (sweep results, deliveries,
# failures) and the requests stay at INFO.
QUIET_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


def create_app(config: type[Config] | None = None, override: dict[str, Any] | None = None) -> Flask:
    """Build the app: config class, then GRIDHUB_* env vars, then `override`."""
    app = Flask(__name__)
    app.json_provider_class = JSONProvider
    app.json = JSONProvider(app)
    app.config.from_object(config or Config)
    if not app.testing:
        app.config.update(from_env())
    app.config.update(override or {})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatter in QUIET_LOGGERS:  # every beat tick and task receipt: warnings and errors only
        logging.getLogger(chatter).setLevel(logging.WARNING)

    _load_signing_keys(app)  # a bad key stops start-up before anything connects
    init_db(app)
    from server.auth.tokens import KeyRing, VerifiedCache

    app.extensions["gridhub_keyring"] = KeyRing()
    from server.auth.principals import USER_STATE_SECONDS
    from server.extensions.cache import TTLCache

    app.extensions["gridhub_user_state"] = TTLCache(USER_STATE_SECONDS)
    app.extensions["gridhub_verified"] = VerifiedCache()
    api = init_api(app)
    from server.audit.views import blp as audit_blp
    from server.auth.client_views import blp as clients_blp
    from server.auth.views import blp as auth_blp
    from server.auth.views import wellknown
    from server.cases.views import blp as cases_blp
    from server.catalog.calendar_views import blp as calendars_blp
    from server.catalog.sla_views import blp as sla_blp
    from server.catalog.views import blp as catalog_blp
    from server.grids.views import blp as grids_blp
    from server.hub.views import blp as hub_blp
    from server.inbox.views import blp as inbox_blp
    from server.organisation.views import blp as organisation_blp
    from server.patrols.views import blp as patrols_blp
    from server.supervision.views import blp as supervision_blp
    from server.webhooks.views import blp as webhooks_blp

    for blueprint in (auth_blp, wellknown, cases_blp, grids_blp, catalog_blp, organisation_blp,
                      calendars_blp, sla_blp, supervision_blp, inbox_blp, webhooks_blp,
                      audit_blp, clients_blp, hub_blp, patrols_blp):
        api.register_blueprint(blueprint)
    from server.cases import openapi as case_openapi

    case_openapi.register(api.spec)
    from server.open311 import openapi as open311_openapi

    open311_openapi.register(api.spec)
    from server import examples

    examples.apply(api.spec.to_dict())  # the document's paths, in place
    from server.open311.views import bp as open311_bp

    app.register_blueprint(open311_bp)
    from server.hub.miniapp import init_miniapp

    init_miniapp(app)
    from server.extensions.celery import celery_init_app

    celery_init_app(app)
    from server.extensions.limits import init_limits
    from server.extensions.web import init_web

    init_limits(app)
    init_web(app)
    app.before_request(_limit_body)
    from server.audit.service import record_write

    app.after_request(record_write)
    _add_health_routes(app)
    _add_swagger_assets(app)
    return app


def _load_signing_keys(app: Flask) -> None:
    from server.auth.tokens import load_static_keys

    try:
        app.extensions["gridhub_static_keys"] = load_static_keys(app.config["SIGNING_KEYS"])
    except ValueError as exc:
        raise ConfigError(f"signing key (GRIDHUB_SIGNING_KEY / GRIDHUB_SIGNING_KEY_FILES): {exc}") from exc


def _limit_body() -> None:
    """Refuse bodies of a type the endpoint does not take; cap their size per kind (413)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    accepted = getattr(view, "body_types", None) or getattr(getattr(view, "view_class", None),
                                                            "body_types", JSON_BODY)
    multipart = "multipart/form-data" in accepted
    limit_setting = getattr(getattr(view, "view_class", None), "body_limit_setting", None)
    request.max_content_length = current_app.config[
        limit_setting or ("MAX_CONTENT_LENGTH" if multipart else "MAX_JSON_BYTES")]
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding")
    if has_body and request.mimetype not in accepted:
        raise UnsupportedMediaType(f"请求体须为 {' 或 '.join(accepted)}",
                                   reason="unsupported_media_type", accepted=list(accepted))


def _add_health_routes(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        from server.catalog.calendars import uncovered_years

        ready = ping()
        gaps = uncovered_years()
        if gaps and gaps != app.extensions.get("gridhub_reported_gaps"):
            app.extensions["gridhub_reported_gaps"] = gaps  # once, not on every probe
            log.warning("the statutory calendar has no data for %s: working days fall back to "
                        "Mon-Fri plus county overrides; load the State Council notice",
                        ", ".join(map(str, gaps)))
        body = {"status": "ok" if ready else "unavailable", "database": ready,
                "database_embedded": app.config["DB_EMBEDDED"],
                "calendar": {"uncovered_years": gaps}}
        return body, (200 if ready else 503)


def _add_swagger_assets(app: Flask) -> None:
    """Serve Swagger UI's JS/CSS ourselves: the docs page must work without internet access."""
    from flask import send_from_directory
    from swagger_ui_bundle import swagger_ui_path

    @app.get("/api/docs/static/<path:filename>")
    def swagger_ui_asset(filename: str):
        return send_from_directory(swagger_ui_path, filename, max_age=86400)


__all__ = ["create_app", "Config", "TestConfig"]
