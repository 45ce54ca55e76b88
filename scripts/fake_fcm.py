"""A local stand-in for Google's OAuth2 token endpoint and FCM HTTP v1 (`messages:send`).

firebase-admin runs its real code path against it: `service_account()` gives a generated
service-account file whose `token_uri` points here (google-auth signs a JWT-bearer assertion
with its key, which this server verifies), and gridhub's `GRIDHUB_FCM_ENDPOINT` points the
messaging calls here. Every accepted message is recorded.

Switches inject what FCM answers in bad times: the next N requests `unavailable` (503),
`internal` (500) or `quota` (429 QUOTA_EXCEEDED with Retry-After), tokens answered
`unregistered` (404 UNREGISTERED), and `latency` before each answer.

A message counts as delivered when it was answered to a sender that was still connected: if
the sender died while waiting (a worker killed mid-batch), the fake records nothing. Real FCM
gives no such guarantee and has no idempotency key, so on the real service that one in-flight
message may reach the phone twice; the app collapses it by the notification id in the data.

In-process: `with FakeFcm() as fcm: ...`. As a process:
    python scripts/fake_fcm.py --port 9099 --credentials /tmp/fcm-sa.json
and drive it over HTTP: GET /_fake/messages (or /_fake/count), POST /_fake/reset,
POST /_fake/switches (JSON).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = "gridhub-fake"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


@dataclass
class Switches:
    unavailable: int = 0
    internal: int = 0
    quota: int = 0
    retry_after: int = 1
    unregistered: set[str] = field(default_factory=set)
    latency: float = 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # a wave of 100 parallel connections must not be reset


class FakeFcm:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, project: str = PROJECT) -> None:
        self.project = project
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []  # error answers given, for assertions
        self.tokens_issued = 0
        self.in_flight = 0  # messages received and not answered yet
        self.switches = Switches()
        self._access_tokens: set[str] = set()
        self._server = _Server((host, port), _handler(self))
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeFcm:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-fcm")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeFcm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what the tests use --------------------------------------------------------------
    def service_account(self) -> dict[str, str]:
        pem = self._key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()
        return {"type": "service_account", "project_id": self.project,
                "private_key_id": "fake-key-1", "private_key": pem,
                "client_email": f"gridhub@{self.project}.iam.gserviceaccount.com",
                "client_id": "1", "token_uri": f"{self.url}/token",
                "auth_uri": f"{self.url}/auth", "universe_domain": "googleapis.com"}

    def write_service_account(self, path: str) -> str:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.service_account(), handle)
        return path

    def set(self, **switches: Any) -> None:
        with self._lock:
            for name, value in switches.items():
                if not hasattr(self.switches, name):
                    raise ValueError(f"unknown switch {name}")
                setattr(self.switches, name, set(value) if name == "unregistered" else value)

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.refused.clear()
            self.switches = Switches()

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.messages)

    # --- the protocol --------------------------------------------------------------------
    def _grant(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != [JWT_BEARER] or not form.get("assertion"):
            return 400, {"error": "unsupported_grant_type"}
        try:
            # google-auth addresses its assertion to Google's token endpoint whatever token_uri says
            claims = jwt.decode(form["assertion"][0], self._key.public_key(), algorithms=["RS256"],
                                audience=[f"{self.url}/token", GOOGLE_TOKEN_URI])
        except jwt.PyJWTError as exc:
            return 400, {"error": "invalid_grant", "error_description": str(exc)}
        if claims.get("iss") != self.service_account()["client_email"]:
            return 400, {"error": "invalid_grant", "error_description": "unknown issuer"}
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens.add(token)
            self.tokens_issued += 1
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _verdict(self, project: str, authorization: str | None,
                 body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The answer to one messages:send (before latency), and whether to record it."""
        bearer = (authorization or "").removeprefix("Bearer ")
        with self._lock:
            known = bearer in self._access_tokens
            switches = self.switches
            if not known:
                return _error(401, "UNAUTHENTICATED", "Request had invalid credentials.")
            if project != self.project:
                return _error(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH")
            message = body.get("message") if isinstance(body, dict) else None
            token = message.get("token") if isinstance(message, dict) else None
            if not isinstance(token, str) or len(token) < 20:
                return _error(400, "INVALID_ARGUMENT",
                              "The registration token is not a valid FCM registration token",
                              "INVALID_ARGUMENT")
            for name, status, code in (("unavailable", 503, "UNAVAILABLE"),
                                       ("internal", 500, "INTERNAL")):
                if getattr(switches, name) > 0:
                    setattr(switches, name, getattr(switches, name) - 1)
                    return _error(status, code, f"The service is currently {name}.", code)
            if switches.quota > 0:
                switches.quota -= 1
                status, payload, headers = _error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.",
                                                  "QUOTA_EXCEEDED")
                return status, payload, {**headers, "Retry-After": str(switches.retry_after)}
            if token in switches.unregistered:
                return _error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        return 200, {"name": f"projects/{project}/messages/{secrets.token_hex(8)}"}, {}

    def _record(self, body: dict[str, Any], status: int, answer: dict[str, Any]) -> None:
        with self._lock:
            if status == 200:
                self.messages.append({**body["message"], "name": answer["name"],
                                      "validate_only": bool(body.get("validate_only")),
                                      "received_at": time.time()})
            else:
                self.refused.append({"status": status, "error": answer["error"]["status"],
                                     "token": (body.get("message") or {}).get("token")})


def _error(status: int, code: str, message: str,
           fcm_code: str | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    details = [{"@type": FCM_ERROR, "errorCode": fcm_code}] if fcm_code else []
    return status, {"error": {"code": status, "message": message, "status": code,
                              "details": details}}, {}


def _peer_gone(sock: socket.socket) -> bool:
    """True when the client closed its end (a live HTTP/1.1 client sends nothing while it
    waits for our answer, so a readable socket means EOF or reset)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _handler(fake: FakeFcm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 64 * 1024  # headers and body leave in one segment (flushed per request)
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _read(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/_fake/count":
                self._answer(200, {"messages": len(fake.messages), "refused": len(fake.refused)})
            elif self.path == "/_fake/messages":
                self._answer(200, {"messages": fake.received(), "refused": list(fake.refused)})
            else:
                self._answer(404, {"error": "not found"})

        def do_POST(self) -> None:
            raw = self._read()
            if self.path == "/token":
                status, payload = fake._grant(parse_qs(raw.decode()))
                self._answer(status, payload)
                return
            if self.path == "/_fake/reset":
                fake.reset()
                self._answer(200, {})
                return
            if self.path == "/_fake/switches":
                fake.set(**json.loads(raw or b"{}"))
                self._answer(200, {})
                return
            matched = SEND_PATH.match(self.path)
            if not matched:
                self._answer(404, {"error": {"code": 404, "status": "NOT_FOUND", "message": "no"}})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._answer(*_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")[:2])
                return
            status, payload, headers = fake._verdict(matched["project"],
                                                     self.headers.get("Authorization"), body)
            with fake._lock:
                fake.in_flight += 1
            try:
                if fake.switches.latency:
                    time.sleep(fake.switches.latency)
                if _peer_gone(self.connection):
                    self.close_connection = True
                    return
                if status != 401:
                    fake._record(body, status, payload)
                self._answer(status, payload, headers)
            finally:
                with fake._lock:
                    fake.in_flight -= 1

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9099)
    parser.add_argument("--credentials", help="write the service-account JSON to this file")
    args = parser.parse_args()
    fake = FakeFcm(args.host, args.port)
    if args.credentials:
        fake.write_service_account(args.credentials)
    print(f"fake FCM on {fake.url} (project {fake.project})", flush=True)
    fake._server.serve_forever()


if __name__ == "__main__":
    main()
