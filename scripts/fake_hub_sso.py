"""A local stand-in for the hub's SSO ticket service (the `http` identity provider's peer).

It checks what the real service checks: the app id, the HMAC-SHA256 signature over
`app_id\\nticket\\ntimestamp\\nnonce`, a timestamp within five minutes, each nonce once, each
ticket once. Answers `{code: 0, data: {user_id, name, mobile, id_card, auth_level}}`, or a
non-zero `code` with `msg`. `fail_with` makes it answer an HTTP status (e.g. 502) instead,
`delay` makes it slow.

In-process: `with FakeHubSso(app_id, secret) as sso: ticket = sso.issue(user_id=..., name=...)`.
As a process: `python scripts/fake_hub_sso.py --port 8089 --app-id gridhub --secret s3cret`
(tickets via `POST /_fake/tickets` with the identity as JSON).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WINDOW = 300


class FakeHubSso:
    def __init__(self, app_id: str, secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app_id, self.secret = app_id, secret.encode()
        self.tickets: dict[str, dict[str, Any]] = {}
        self.nonces: set[str] = set()
        self.requests: list[dict[str, Any]] = []
        self.fail_with: int | None = None
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/sso/ticket/validate"

    def start(self) -> FakeHubSso:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeHubSso:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def issue(self, **identity: Any) -> str:
        """A one-time ticket for an identity (user_id, name, mobile, id_card, auth_level)."""
        ticket = "ST-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tickets[ticket] = identity
        return ticket

    def validate(self, body: Any) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(body if isinstance(body, dict) else {"raw": body})
        if self.fail_with:
            return self.fail_with, {"code": -1, "msg": "unavailable"}
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in
                                                 ("app_id", "ticket", "timestamp", "nonce", "sign")):
            return 200, {"code": 40001, "msg": "missing parameters"}
        if body["app_id"] != self.app_id:
            return 200, {"code": 40002, "msg": "unknown app"}
        message = "\n".join((body["app_id"], body["ticket"], body["timestamp"], body["nonce"]))
        expected = hmac.new(self.secret, message.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, body["sign"]):
            return 200, {"code": 40003, "msg": "bad signature"}
        if not body["timestamp"].isdigit() or abs(time.time() - int(body["timestamp"])) > WINDOW:
            return 200, {"code": 40004, "msg": "stale timestamp"}
        with self._lock:
            if body["nonce"] in self.nonces:
                return 200, {"code": 40005, "msg": "nonce replayed"}
            self.nonces.add(body["nonce"])
            identity = self.tickets.pop(body["ticket"], None)
        if identity is None:
            return 200, {"code": 40010, "msg": "ticket invalid or used"}
        return 200, {"code": 0, "msg": "ok", "data": identity}


def _handler(fake: FakeHubSso) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, payload: Any) -> None:
            raw = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            if self.path == "/_fake/tickets" and isinstance(body, dict):
                self._answer(201, {"ticket": fake.issue(**body)})
                return
            if fake.delay:
                time.sleep(fake.delay)
            self._answer(*fake.validate(body))

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--app-id", default="gridhub")
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    fake = FakeHubSso(args.app_id, args.secret, args.host, args.port)
    print(f"fake hub SSO on {fake.url}", flush=True)
    fake._server.serve_forever()


if __name__ == "__main__":
    main()
