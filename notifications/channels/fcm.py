"""Push through FCM HTTP v1 with firebase-admin (`messaging.send_each`, ≤ 500 a call).

One notification goes to every registered device of its recipient that has not had it yet
(`delivered_to`). Unregistered or invalid tokens are pruned; unavailable, internal and
quota-exceeded answers are transient (the delivery retries with backoff, honouring
Retry-After); anything else fails the notification with its reason.

`FCM_ENDPOINT` points the messaging calls elsewhere (the local fake in tests); the service
account's own `token_uri` decides where OAuth tokens come from.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from typing import Any

import firebase_admin
from firebase_admin import credentials, exceptions, messaging
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from notifications.channels.base import Outcome, Progress
from server.inbox import devices

log = logging.getLogger(__name__)
# Messages per send_each call (FCM allows 500): firebase-admin sends them in parallel, one
# thread and one pooled connection each, so a wave is as wide as the connection pool.
WAVE = 100
PRUNE = (messaging.UnregisteredError, messaging.SenderIdMismatchError,
         exceptions.InvalidArgumentError, exceptions.NotFoundError)
TRANSIENT = (exceptions.UnavailableError, exceptions.InternalError, messaging.QuotaExceededError,
             exceptions.DeadlineExceededError, exceptions.UnknownError)
_apps = itertools.count(1)
# Devices register FCM registration tokens, which FCM v1 takes in `token`; firebase-admin 7.7
# started calling that field deprecated in favour of installation ids (`fid`).
warnings.filterwarnings("ignore", message="Message.token is deprecated", category=DeprecationWarning)


def from_config(config: dict[str, Any]) -> FcmChannel | None:
    path = config.get("FCM_CREDENTIALS")
    if not path:
        return None
    return FcmChannel(path, endpoint=config.get("FCM_ENDPOINT") or "https://fcm.googleapis.com",
                      timeout=float(config.get("FCM_TIMEOUT", 10)))


class FcmChannel:
    def __init__(self, credentials_path: str, *, endpoint: str, timeout: float) -> None:
        credential = credentials.Certificate(credentials_path)
        self.app = firebase_admin.initialize_app(credential, {"httpTimeout": timeout},
                                                 name=f"gridhub-fcm-{next(_apps)}")
        self.endpoint = endpoint.rstrip("/")
        self._point_at_endpoint()

    def _point_at_endpoint(self) -> None:
        """firebase-admin has no setting for the FCM host: set the URL its messaging service
        posts to, and give that host a connection pool as large as a batch's threads. Transport
        retries only on connection errors (nothing was sent); answers are retried by the
        delivery task with backoff, which does not hold a worker while waiting."""
        service = messaging._get_messaging_service(self.app)
        service._fcm_url = f"{self.endpoint}/v1/projects/{self.app.project_id}/messages:send"
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=WAVE,
                              max_retries=Retry(total=1, connect=1, read=0, status=0, other=0))
        service._client.session.mount(self.endpoint, adapter)

    def send(self, notifications: list[dict[str, Any]],
             progress: Progress | None = None) -> list[Outcome]:
        """Push each notification to its recipient's devices not reached yet, in waves of WAVE
        parallel requests (one `send_each` each); `progress` hears after every wave which
        devices were reached, so a worker dying mid-batch repeats at most one wave."""
        reached = devices.tokens_of(sorted({n["recipient"] for n in notifications}))
        plan: list[tuple[int, str, str]] = []  # (notification index, device id, token)
        for index, notification in enumerate(notifications):
            done = set(notification.get("delivered_to") or ())
            plan += [(index, device, token) for device, token in reached.get(notification["recipient"], [])
                     if device not in done]
        results: list[tuple[int, str, str, Exception | None]] = []
        for start in range(0, len(plan), WAVE):
            wave = self._wave(notifications, plan[start:start + WAVE])
            results += wave
            if progress is not None:
                reached_now: dict[int, list[str]] = {}
                for index, device, _, error in wave:
                    if error is None:
                        reached_now.setdefault(index, []).append(device)
                progress(reached_now)
        devices.prune(sorted({token for _, _, token, error in results if isinstance(error, PRUNE)}))
        return [_outcome(notification, [r for r in results if r[0] == index])
                for index, notification in enumerate(notifications)]

    def _wave(self, notifications: list[dict[str, Any]],
              chunk: list[tuple[int, str, str]]) -> list[tuple[int, str, str, Exception | None]]:
        try:
            batch = messaging.send_each([_message(notifications[i], token) for i, _, token in chunk],
                                        app=self.app)
            errors = [response.exception for response in batch.responses]
        except exceptions.FirebaseError as exc:  # the whole call failed (OAuth token, say)
            log.warning("FCM batch of %d failed: %s", len(chunk), exc)
            errors = [exceptions.UnavailableError(f"batch failed: {exc}", cause=exc)] * len(chunk)
        return [(i, device, token, error) for (i, device, token), error in zip(chunk, errors, strict=True)]


def _outcome(notification: dict[str, Any], results: list[tuple[int, str, str, Exception | None]]) -> Outcome:
    delivered = tuple(device for _, device, _, error in results if error is None)
    errors = [error for *_, error in results if error is not None]
    transient = [e for e in errors if isinstance(e, TRANSIENT)]
    if transient:
        return Outcome("retry", error=_reason(transient[0]), retry_after=_retry_after(transient),
                       delivered=delivered)
    if delivered or notification.get("delivered_to"):
        return Outcome.sent(delivered)
    if not results:
        return Outcome("failed", error="no_devices: 接收人没有登记推送设备")
    fatal = [e for e in errors if not isinstance(e, PRUNE)]
    if fatal:
        return Outcome("failed", error=_reason(fatal[0]))
    return Outcome("failed", error=f"{_reason(errors[0])}（设备令牌已失效，已删除）")


def _reason(error: Exception) -> str:
    code = getattr(error, "code", None) or type(error).__name__
    return f"{code}: {error}"[:500]


def _retry_after(errors: list[Exception]) -> float | None:
    waits = []
    for error in errors:
        response = getattr(error, "http_response", None)
        value = response.headers.get("Retry-After") if response is not None else None
        if value and value.isdigit():
            waits.append(float(value))
    return max(waits) if waits else None


def _message(notification: dict[str, Any], token: str) -> messaging.Message:
    """Title and body for the tray, the case id and deep link as data; urgent ones at high
    priority (Android `high`, APNs 10), collapsed by notification id if sent twice."""
    urgent = bool(notification.get("urgent"))
    ident = str(notification["_id"])
    data = {key: str(value) for key, value in (notification.get("data") or {}).items()}
    data["notification_id"] = ident
    return messaging.Message(
        token=token,
        notification=messaging.Notification(title=notification["title"], body=notification["body"]),
        data=data,
        android=messaging.AndroidConfig(
            priority="high" if urgent else "normal", collapse_key=ident,
            notification=messaging.AndroidNotification(tag=ident,
                                                       channel_id="urgent" if urgent else "cases")),
        apns=messaging.APNSConfig(headers={"apns-priority": "10" if urgent else "5",
                                           "apns-collapse-id": ident[-64:]}),
    )
