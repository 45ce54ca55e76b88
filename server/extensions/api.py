"""The HTTP edge: local Api/Blueprint/Schema/Page subclasses and the one error envelope.

Every error leaves as `{code, status, message, errors}` (flask-smorest's envelope) with a
Chinese `message` and a stable English `errors.reason`.
"""

from __future__ import annotations

import functools
import http
import inspect
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
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
from server.timeutil import SHANGHAI

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

# marshmallow / webargs messages, in Chinese; anything not listed passes through unchanged.
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r) for p, r in [
        (r"^Missing data for required field\.$", "缺少必填字段"),
        (r"^Unknown field\.$", "未知字段"),
        (r"^Field may not be null\.$", "不能为空值"),
        (r"^Not a valid string\.$", "不是有效的字符串"),
        (r"^Not a valid number\.$", "不是有效的数字"),
        (r"^Not a valid integer\.$", "不是有效的整数"),
        (r"^Not a valid boolean\.$", "不是有效的布尔值"),
        (r"^Not a valid datetime\.$", "不是有效的日期时间"),
        (r"^Not a valid date\.$", "不是有效的日期"),
        (r"^Not a valid list\.$", "不是有效的列表"),
        (r"^Not a valid mapping type\.$", "不是有效的对象"),
        (r"^Invalid input type\.$", "输入类型无效，应为 JSON 对象"),
        (r"^Invalid value\.$", "取值无效"),
        (r"^Invalid JSON body\.$", "请求体不是有效的 JSON"),
        (r"^Not a valid ObjectId\.$", "不是有效的 ID"),
        (r"^Special numeric values \(nan or infinity\) are not permitted\.$", "不允许 NaN 或无穷大"),
        (r"^Must be one of: (.*)\.$", r"必须是以下之一：\1"),
        (r"^Length must be between (\d+) and (\d+)\.$", r"长度须在 \1 到 \2 之间"),
        (r"^Shorter than minimum length (\d+)\.$", r"长度不能小于 \1"),
        (r"^Longer than maximum length (\d+)\.$", r"长度不能大于 \1"),
        (r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$",
         r"须在 \1 到 \2 之间"),
        (r"^Must be greater than or equal to (\S+)\.$", r"须大于或等于 \1"),
        (r"^Must be less than or equal to (\S+)\.$", r"须小于或等于 \1"),
        (r"^String does not match expected pattern\.$", "格式不正确"),
        (r"^Not a valid datetime with timezone.*$", "须为带时区的 ISO-8601 时间"),
    ]
]


def translate(messages: Any) -> Any:
    """Translate marshmallow's nested error messages into Chinese."""
    if isinstance(messages, dict):
        return {key: translate(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate(value) for value in messages]
    if isinstance(messages, str):
        for pattern, replacement in _MESSAGES:
            if pattern.match(messages):
                return pattern.sub(replacement, messages)
    return messages


# C0 controls but tab, LF and CR, and DEL: no field has a use for them, and stored they break
# what is built from the text later (XML feeds, CSV exports, SMS).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_characters(value, path: str, found: dict[str, list[str]]) -> None:
    if isinstance(value, str):
        if _CONTROL.search(value):
            found[path] = ["不能包含控制字符"]
    elif isinstance(value, dict):
        for key, item in value.items():
            _control_characters(item, f"{path}.{key}" if path else str(key), found)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _control_characters(item, f"{path}.{index}", found)


def _strict_type_error(field: ma.fields.Field, value: Any) -> str | None:
    """What is wrong with a JSON value for a field, beyond what marshmallow checks: numbers and
    booleans come as JSON numbers and booleans (not "36.915" or "true"), and text has content."""
    if isinstance(field, ma.fields.Number) and (isinstance(value, str | bool)):
        return "须为数字"
    if isinstance(field, ma.fields.Boolean) and not isinstance(value, bool):
        return "须为布尔值（true 或 false）"
    if isinstance(field, ma.fields.String) and isinstance(value, str) and not value.strip() and (
            value or field.required):
        return "不能为空或只包含空白"
    return None


class Schema(ma.Schema):
    """Base schema: unknown fields are an error, and so is a control character in any text. In
    a JSON body (a dict; query strings and forms arrive as text and are converted), numbers and
    booleans must be JSON numbers and booleans, and text must have content."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _strict_json_types(self, data, **kwargs):
        if type(data) is not dict:
            return data
        found: dict[str, list[str]] = {}
        for name, field in self.load_fields.items():
            key = field.data_key or name
            if key in data and data[key] is not None and (
                    problem := _strict_type_error(field, data[key])):
                found[key] = [problem]
        if found:
            raise ma.ValidationError(found)
        return data

    @ma.pre_load
    def _refuse_control_characters(self, data, **kwargs):
        if isinstance(data, Mapping):
            found: dict[str, list[str]] = {}
            for key in list(data.keys()):
                values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
                for value in values:
                    _control_characters(value, str(key), found)
            if found:
                raise ma.ValidationError(found)
        return data




# The instants the API accepts: a year-1 or year-9999 date would overflow the arithmetic done
# on it (windows, offsets) instead of answering 400/422.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def within_bounds(moment: datetime) -> bool:
    return EARLIEST <= moment <= LATEST


class LocalDateTime(ma.fields.AwareDateTime):
    """Accepts ISO-8601 with an offset (1970–2099); shows stored UTC times in Asia/Shanghai."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not within_bounds(moment):
            raise ma.ValidationError("日期须在 1970 年至 2099 年之间")
        return moment

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:  # a naive datetime from the driver is UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI).isoformat()


def object_id_field(**kwargs) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Regexp(r"^[0-9a-f]{24}$",
                                                         error="不是有效的 ID"), **kwargs)


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


def init_api(app: Flask) -> Api:
    app.url_map.converters["objectid"] = ObjectIdConverter
    api = Api()
    api.init_app(app, spec_kwargs={"components": {}})
    api.register_converter(ObjectIdConverter,
                           lambda _converter: {"type": "string", "pattern": "^[0-9a-f]{24}$"})
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    app.extensions["gridhub_api"] = api
    return api
