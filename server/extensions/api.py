"""The HTTP edge: local Api/Blueprint/Page subclasses and the one error envelope (the base
Schema is `extensions.schema`).

Every error leaves as `{code, status, message, errors}` (flask-smorest's envelope) with a
Chinese `message` and a stable English `errors.reason`.
"""

from __future__ import annotations

import functools
import http
import inspect
import json
import logging
from datetime import date
from typing import Any

import flask_smorest
import marshmallow as ma
import mongoengine
import pymongo.errors
from bson import ObjectId
from bson.errors import InvalidId
from flask import Flask, current_app, request
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, ValidationError

from server.errors import GridhubError
from server.extensions.schema import translate

log = logging.getLogger(__name__)

STATUS_TEXT: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthorized", "未登录或登录已失效"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "操作与当前状态冲突"),
    412: ("precondition_failed", "资源已被修改，请刷新后重试"),
    413: ("payload_too_large", "请求体过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_error", "请求参数校验失败"),
    428: ("precondition_required", "缺少前置条件请求头"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    500: ("internal_error", "服务器内部错误，请稍后重试"),
    503: ("unavailable", "服务暂时不可用，请稍后重试"),
}

class ErrorDetailSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    reason = ma.fields.String(metadata={"description": "stable machine code, e.g. forbidden"})


class ErrorSchema(ma.Schema):
    code = ma.fields.Integer()
    status = ma.fields.String()
    message = ma.fields.String(metadata={"description": "Chinese, for people"})
    errors = ma.fields.Nested(ErrorDetailSchema)


def envelope(status: int, message: str | None = None, reason: str | None = None,
             errors: dict[str, Any] | None = None) -> dict[str, Any]:
    default_reason, default_message = STATUS_TEXT.get(status, ("error", "请求失败"))
    body_errors = dict(errors or {})
    body_errors["reason"] = reason or body_errors.get("reason") or default_reason
    return {
        "code": status,
        "status": http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_
        else "Error",
        "message": message or default_message,
        "errors": body_errors,
    }


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        """Every HTTPException (abort, webargs, routing, 413 …) as the envelope."""
        data = getattr(error, "data", None) or {}
        status = error.code or 500
        errors = data.get("errors") or data.get("messages")
        reason = None
        if isinstance(errors, dict) and "json" in errors and status == 400:
            reason = "malformed_json"
        if isinstance(errors, dict) and list(errors) == ["headers"] and len(errors["headers"]) == 1:
            header, = errors["headers"]  # one bad header: say which (invalid_idempotency_key)
            reason = "invalid_" + str(header).lower().replace("-", "_")
        if isinstance(errors, dict):
            errors = translate(errors)
        body = envelope(status, data.get("message"), reason,
                        errors if isinstance(errors, dict) else None)
        return body, status, data.get("headers", {})

    def _register_error_handlers(self) -> None:
        super()._register_error_handlers()
        app: Flask = self._app
        app.register_error_handler(GridhubError, _handle_gridhub_error)
        app.register_error_handler(mongoengine.ValidationError, _handle_model_validation)
        app.register_error_handler(mongoengine.NotUniqueError, _handle_not_unique)
        app.register_error_handler(pymongo.errors.ConnectionFailure, _handle_database_unavailable)
        app.register_error_handler(Exception, _handle_unexpected)


def _handle_gridhub_error(error: GridhubError):
    return envelope(error.status, error.message, error.reason, error.errors), error.status, \
        error.headers


def _handle_model_validation(error: mongoengine.ValidationError):
    fields = {k: [str(v)] for k, v in (error.to_dict() or {}).items()} if error.errors else {}
    return envelope(422, "数据校验失败", "validation_error", {"fields": fields} if fields else None), \
        422


def _handle_not_unique(error: mongoengine.NotUniqueError):
    return envelope(409, "记录已存在", "duplicate"), 409


def _handle_database_unavailable(error: pymongo.errors.ConnectionFailure):
    """AutoReconnect, a failover, a server selection timeout: nothing the client did; every
    write is one atomic update, so nothing is half-written and the same request may be sent again."""
    log.warning("database unavailable on %s %s: %s", request.method, request.path, error)
    retry = str(current_app.config.get("DB_RETRY_AFTER", 5))
    return envelope(503, "数据库暂时不可用，请稍后重试", "database_unavailable"), 503, {"Retry-After": retry}


def _handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):  # pragma: no cover - routed to handle_http_exception
        return current_app.extensions["gridhub_api"].handle_http_exception(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return envelope(500), 500


class Parser(FlaskParser):
    """webargs' parser, with JSON nested too deeply for Python's parser treated as malformed."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError as exc:
            raise json.JSONDecodeError("nested too deeply", "", 0) from exc


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest Blueprint with a helper documenting the error responses an operation has."""

    ARGUMENTS_PARSER = Parser()

    def errors(self, *codes: int):
        """Document these error statuses (with the envelope schema) on an operation."""

        def decorator(func):
            for code in codes:
                func = self.alt_response(code, response=http.HTTPStatus(code).name)(func)
            return func

        return decorator


    def secured(self, *codes: int):
        """Require a valid bearer token (401 first, before any parsing) and document it."""

        def decorator(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                from flask import request

                from server.auth.permissions import check
                from server.auth.principals import authenticate

                check(authenticate(), request.endpoint, request.method)
                return func(*args, **kwargs)

            wrapper = self.doc(security=[{"bearer": []}])(wrapper)
            return self.errors(401, *codes)(wrapper)

        return decorator


    def versioned(self, func):
        """The resource's version is its ETag (`"3"`), in one place that enforces and documents
        it (flask-smorest's `etag.py` is the model). A read answers with the ETag, and 304 with
        no body to an `If-None-Match` that holds it. A write gets `if_match` — the set of tags
        in `If-Match`, or None without the header — for its service to compare with the
        version it loads (412 `stale_version`), and answers with the new ETag.
        Put it right above the view function (below `@blp.response`)."""

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            from flask import request
            from werkzeug import Response

            reading = request.method in ("GET", "HEAD")
            if conditional:
                kwargs["if_match"] = None
                if request.headers.get("If-Match"):
                    tags = request.if_match
                    kwargs["if_match"] = tags.as_set(include_weak=True) | (
                        {"*"} if tags.star_tag else set())
            result = func(*args, **kwargs)
            obj, *rest = result if isinstance(result, tuple) else (result,)
            status, headers = (rest + [200, {}][len(rest):])[:2]
            tag = f'"{obj.version}"'
            if reading and request.if_none_match.contains_weak(str(obj.version)):
                return Response(status=304, headers={"ETag": tag})
            return obj, status, {**headers, "ETag": tag}

        conditional = "if_match" in inspect.signature(func).parameters
        header = {"in": "header", "required": False, "schema": {"type": "string"}}
        if func.__name__ == "get":
            wrapper = self.doc(parameters=[{**header, "name": "If-None-Match", "description":
                                            "an ETag read before: 304 when the case is unchanged"}])(wrapper)
            wrapper = self.alt_response(304, description="Not modified (the ETag still holds)")(
                wrapper)
        elif conditional:
            wrapper = self.doc(parameters=[{**header, "name": "If-Match", "description":
                                            "the ETag read before: 412 stale_version when the "
                                            "case changed since"}])(wrapper)
        return wrapper


class Page(flask_smorest.Page):
    """Pager over a mongoengine QuerySet: the count comes from the database."""

    @property
    def item_count(self) -> int:
        return self.collection.count()

    @property
    def items(self) -> list:
        # A page past the end costs no query (and a huge page number no skip overflow).
        if self.page_params.first_item >= self.page_params.item_count:
            return []
        return super().items


class ObjectIdConverter(BaseConverter):
    """`<objectid:name>` in a URL: anything that is not a 24-hex ObjectId is a 404."""

    regex = "[^/]+"

    def to_python(self, value: str) -> ObjectId:
        try:
            return ObjectId(value)
        except (InvalidId, TypeError) as exc:
            raise ValidationError() from exc

    def to_url(self, value: Any) -> str:
        return str(value)


API_DESCRIPTION = """\
gridhub（网格化治理“一网统管”后端）: cases — events found by grid workers and residents' requests
(诉求) — accepted, dispatched, handled, supervised and closed in one loop with statutory time
limits and a full trail (全程留痕), alerts to the responsible officials, and indicators.

**Auth.** Staff and residents: `POST /api/v1/auth/token` (password, refresh, or the hub's SSO
ticket by token exchange); sister apps: `client_credentials` (secret or `private_key_jwt`).
Send the access token as `Authorization: Bearer <JWT>` (ES256, keys at
`/.well-known/jwks.json`).

**Conventions.** Errors are one envelope with a Chinese `message` and an English
`errors.reason` (catalogue: docs/ERRORS.md); a case's `ETag` is its version (`"3"`): send it
back in `If-Match` on a transition (412 `stale_version` if it changed) or `If-None-Match` on a
read (304). Reports honour `Idempotency-Key`. Open311 GeoReport v2 is served at `/open311/v2`.
Integration guide: docs/INTEGRATION.md in the repository."""


class IsoDateConverter(BaseConverter):
    """`<isodate:name>` in a URL: a YYYY-MM-DD day (2000–2099); anything else is a 404."""

    regex = "[^/]+"

    def to_python(self, value: str) -> date:
        try:
            day = date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            day = None
        if day is None or not 2000 <= day.year <= 2099:
            raise ValidationError()
        return day

    def to_url(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)


def init_api(app: Flask) -> Api:
    app.url_map.converters["objectid"] = ObjectIdConverter
    app.url_map.converters["isodate"] = IsoDateConverter
    api = Api()
    public = (app.config.get("PUBLIC_URL") or "").rstrip("/")
    servers = [{"url": public or "/", "description": "本服务" if not public else "公网地址"}]
    api.init_app(app, spec_kwargs={"components": {}, "servers": servers,
                                   "info": {"description": API_DESCRIPTION}})
    api.register_converter(ObjectIdConverter,
                           lambda _converter: {"type": "string", "pattern": "^[0-9a-f]{24}$"})
    api.register_converter(IsoDateConverter,
                           lambda _converter: {"type": "string", "format": "date"})
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    app.extensions["gridhub_api"] = api
    return api
