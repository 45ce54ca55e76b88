"""The exception tree services raise; `extensions.api` turns each into the error envelope."""

from __future__ import annotations

from typing import Any


class GridhubError(Exception):
    """An error a client can act on: HTTP status, Chinese message, stable English reason."""

    status = 400
    reason = "bad_request"
    message = "请求有误"

    def __init__(self, message: str | None = None, *, reason: str | None = None,
                 headers: dict[str, str] | None = None, **errors: Any) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.reason = reason or self.reason
        self.headers = headers or {}
        self.errors = errors


class Unauthorized(GridhubError):
    status, reason, message = 401, "unauthorized", "未登录或登录已失效"


class Forbidden(GridhubError):
    status, reason, message = 403, "forbidden", "无权执行此操作"


class NotFound(GridhubError):
    status, reason, message = 404, "not_found", "资源不存在"


class Conflict(GridhubError):
    status, reason, message = 409, "conflict", "操作与当前状态冲突"


class PreconditionFailed(GridhubError):
    status, reason, message = 412, "precondition_failed", "资源已被修改，请刷新后重试"


class PayloadTooLarge(GridhubError):
    status, reason, message = 413, "payload_too_large", "请求体过大"


class UnsupportedMediaType(GridhubError):
    status, reason, message = 415, "unsupported_media_type", "不支持的内容类型"


class Unprocessable(GridhubError):
    status, reason, message = 422, "validation_error", "请求参数校验失败"


class TooManyRequests(GridhubError):
    status, reason, message = 429, "rate_limited", "请求过于频繁，请稍后再试"


class ServiceUnavailable(GridhubError):
    status, reason, message = 503, "unavailable", "服务暂时不可用，请稍后重试"


def found(document, message: str):
    """The document, or NotFound (reason `not_found`) with the message when it is None."""
    if document is None:
        raise NotFound(message, reason="not_found")
    return document
