"""Delivery channels (DESIGN §8). Each takes claimed notifications (raw documents) and returns
one `Outcome` per notification; none of them touches the case or the notification's state —
`notifications.delivery` does that."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from flask import current_app


@dataclass(frozen=True)
class Outcome:
    status: Literal["sent", "retry", "failed"]
    error: str | None = None
    retry_after: float | None = None  # seconds the service asked us to wait
    delivered: tuple[str, ...] = field(default=())  # devices reached (push)

    @classmethod
    def sent(cls, delivered: tuple[str, ...] = ()) -> Outcome:
        return cls("sent", delivered=delivered)


# Told during a long send which devices each notification (by index) has reached so far.
Progress = Callable[[dict[int, list[str]]], None]


class Channel(Protocol):
    def send(self, notifications: list[dict[str, Any]],
             progress: Progress | None = None) -> list[Outcome]: ...


def enabled() -> dict[str, Channel]:
    """The channels this process delivers on, built once per app from its configuration."""
    channels = current_app.extensions.get("gridhub_channels")
    if channels is None:
        from notifications.channels import fcm, sms, webhook

        channels = {"sms": sms.from_config(current_app.config), "webhook": webhook.WebhookChannel()}
        push = fcm.from_config(current_app.config)
        if push is not None:
            channels["fcm"] = push
        current_app.extensions["gridhub_channels"] = channels
    return channels
