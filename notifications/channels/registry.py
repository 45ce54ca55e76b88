"""The channels this process delivers on, built once per app from its configuration."""

from __future__ import annotations

from flask import current_app

from notifications.channels import fcm, sms, webhook
from notifications.channels.base import Channel


def enabled() -> dict[str, Channel]:
    """The channels this process delivers on, built once per app from its configuration."""
    channels = current_app.extensions.get("gridhub_channels")
    if channels is None:
        channels = {"sms": sms.from_config(current_app.config), "webhook": webhook.WebhookChannel()}
        push = fcm.from_config(current_app.config)
        if push is not None:
            channels["fcm"] = push
        current_app.extensions["gridhub_channels"] = channels
    return channels
