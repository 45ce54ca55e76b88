"""SMS through a pluggable gateway. The default `LoggingGateway` writes each message to the log
(with the number masked) — a county plugs its operator's gateway in with `SMS_GATEWAY`
(`module:Class`, constructed with the app config)."""

from __future__ import annotations

import importlib
import logging
from collections import deque
from typing import Any, Protocol

from notifications.channels.base import Outcome, Progress
from server.auth.models import User
from server.pii import mask_phone

log = logging.getLogger("gridhub.sms")
MAX_CHARS = 300


class GatewayError(Exception):
    """A gateway's refusal; `transient` ones are retried with backoff."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class Gateway(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send one message or raise GatewayError."""


class LoggingGateway:
    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.sent: deque[tuple[str, str]] = deque(maxlen=100)  # the latest, for a look in a shell

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", mask_phone(phone), text)
        self.sent.append((phone, text))


def from_config(config: dict[str, Any]) -> SmsChannel:
    spec = config.get("SMS_GATEWAY") or "notifications.channels.sms:LoggingGateway"
    module, _, name = spec.partition(":")
    return SmsChannel(getattr(importlib.import_module(module), name)(config))


class SmsChannel:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def send(self, notifications: list[dict[str, Any]],
             progress: Progress | None = None) -> list[Outcome]:
        phones = {str(u.id): u.phone for u in
                  User.objects(id__in=[n["recipient"] for n in notifications]).only("phone_sealed")}
        return [self._one(n, phones.get(n["recipient"])) for n in notifications]

    def _one(self, notification: dict[str, Any], phone: str | None) -> Outcome:
        if not phone:
            return Outcome("failed", error="no_phone: 接收人没有登记手机号")
        text = f"【网格治理】{notification['title']}：{notification['body']}"[:MAX_CHARS]
        try:
            self.gateway.send(phone, text)
        except GatewayError as exc:
            return Outcome("retry" if exc.transient else "failed", error=f"sms: {exc}"[:500])
        return Outcome.sent()
