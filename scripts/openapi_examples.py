"""Record the demo's answers to the OpenAPI examples (server/examples/responses.json).

    python scripts/openapi_examples.py           # run them and print what changed
    python scripts/openapi_examples.py --write   # and write responses.json

Starts a SecantusDB server in memory, loads the demo county with its cases, then sends each
example of `server.examples.EXAMPLES` in order as its demo user, resolving the generated ids
(a photo, a notification, a device, a webhook, a client) from the demo database. The answers
become the response examples of the OpenAPI document. Run it after changing an example or an
answer's shape; tests/api/test_openapi_examples.py checks that every operation has an example
and that every recorded answer still fits its schema.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from server import create_app  # noqa: E402
from server.config import TestConfig  # noqa: E402
from server.examples import EXAMPLES, HANDLER, RESPONSES, Example  # noqa: E402
from server.extensions.dbserver import DatabaseServer  # noqa: E402


def resolver(kind: str) -> Any:
    """The id of a demo record an example names by kind (or a value made at recording time)."""
    from server.auth.models import Client
    from server.cases.models import Case
    from server.inbox.models import Device, Notification
    from server.webhooks.models import WebhookSubscription as Subscription

    found: Any
    if kind == "patrol_points":  # a walk along 胜利街 that ended a minute ago, every 30 s
        from datetime import timedelta

        from server.timeutil import SHANGHAI, now_utc

        start = now_utc().astimezone(SHANGHAI).replace(microsecond=0) - timedelta(minutes=3)
        return [{"lat": 36.9150, "lng": round(121.5225 + 0.0008 * i, 4), "accuracy_m": 8.0,
                 "at": (start + timedelta(seconds=30 * i)).isoformat()} for i in range(5)]
    if kind == "today":
        from server.timeutil import SHANGHAI, now_utc

        return now_utc().astimezone(SHANGHAI).date().isoformat()
    if kind == "patrol":
        from server.patrols.models import Patrol

        found = Patrol.objects.order_by("-id").first().id
    elif kind == "photo":
        found = Case.objects(attachments__0__exists=True).order_by("id").first().attachments[0]
    elif kind == "notification":  # the handler's newest message
        found = Notification.objects(channel="inbox", recipient=HANDLER).order_by("-id").first().id
    elif kind == "follow_ref":  # the grid worker's reported case, as GET /cases/nearby gives it
        from server.cases.following import follow_ref
        from server.demo import demo_id

        found = follow_ref(demo_id("case", 2))
    elif kind == "reply_template":
        from server.catalog.models import ReplyTemplate

        found = ReplyTemplate.objects.order_by("-id").first().id
    elif kind == "callback":
        from server.cases.models import Callback

        found = Callback.objects(status="open").order_by("id").first().id
    elif kind == "followed_code":
        found = Case.objects(followers__0__exists=True).order_by("id").first().code
    elif kind == "failed_delivery":
        # A delivery to the example's webhook receiver (unreachable), as if its retries had run
        # out (the recording's one prepared state: redrive answers only a failed delivery).
        found = Notification.objects(channel="webhook").order_by("-id").first()
        found.update(set__status="failed")
        found = found.id
    elif kind == "device":
        found = Device.objects.order_by("-id").first().id
    elif kind == "webhook":
        found = Subscription.objects.order_by("-id").first().id
    else:
        found = Client.objects.order_by("-id").first().id
    return str(found)


SECRETS = ("access_token", "refresh_token", "client_secret", "api_key", "ticket", "secret")


def redacted(value: Any) -> Any:
    """An answer without the secrets it carried (tokens, a client's secret, a hub ticket)."""
    if isinstance(value, dict):
        return {k: f"<{k}>" if k in SECRETS and isinstance(v, str) else redacted(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


def resolved(value: Any) -> Any:
    """A body with each `{"resolve": kind}` in it (at any depth) replaced by its value."""
    if isinstance(value, dict):
        return resolver(value["resolve"]) if set(value) == {"resolve"} else {
            k: resolved(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolved(v) for v in value]
    return value


def send(client, tokens: dict, method: str, path: str, example: Example) -> dict[str, Any]:
    values = {name: resolver(v["resolve"]) if isinstance(v, dict) else v
              for name, v in example.path.items()}
    url = path.format(**values)
    headers = dict(example.headers)
    if example.user:
        if example.user not in tokens:
            answer = client.post("/api/v1/auth/token", data={
                "grant_type": "password", "username": example.user, "password": "demo-password"})
            tokens[example.user] = answer.json["access_token"]
        headers["Authorization"] = f"Bearer {tokens[example.user]}"
    kwargs: dict[str, Any] = {"query_string": example.query, "headers": headers}
    body = resolved(example.body)
    if example.body is not None:
        kwargs["data" if example.form else "json"] = body
    if example.upload:
        image = io.BytesIO()
        Image.new("RGB", (640, 480), (90, 140, 60)).save(image, "JPEG")
        image.seek(0)
        kwargs["data"] = {"file": (image, "scene.jpg", "image/jpeg")}
    response = client.open(url, method=method, **kwargs)
    recorded: dict[str, Any] = {"status": response.status_code}
    if values != example.path:
        recorded["path"] = values
    if body != example.body:
        recorded["request"] = body
    if response.is_json and response.data:
        recorded["body"] = redacted(response.json)
    return recorded


def record() -> dict[str, Any]:
    from server.demo import seed_demo
    from server.demo_cases import seed_demo_cases

    with DatabaseServer(":memory:") as server:
        app = create_app(TestConfig, {"MONGODB_URI": server.uri, "MONGODB_DB": "examples",
                                      "DEMO": True, "IDENTITY_PROVIDER": "dev",
                                      "RATE_LIMIT_TOKEN_IP": "1000/minute",
                                      "RATE_LIMIT_TOKEN_USER": "1000/minute"})
        app.extensions["celery"].conf.task_always_eager = True  # alerts reach the inbox inline
        with app.app_context():
            seed_demo()
            seed_demo_cases()
            client, tokens = app.test_client(), {}
            return {f"{method} {path}": send(client, tokens, method, path, example)
                    for (method, path), example in EXAMPLES.items()}


def main() -> int:
    answers = record()
    failed = {k: v for k, v in answers.items() if v["status"] >= 400}
    for key, answer in failed.items():
        print(f"{key}: {answer['status']} {json.dumps(answer.get('body'), ensure_ascii=False)[:300]}")
    if "--write" in sys.argv and not failed:
        RESPONSES.write_text(json.dumps(answers, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                             encoding="utf-8")
        print(f"wrote {RESPONSES.relative_to(ROOT)} ({len(answers)} answers)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
