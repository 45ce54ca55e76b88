"""Access tokens: signing keys, JWT issue and verification (DESIGN §7).

Keys come from one of two places. In production, from PEM files (`GRIDHUB_SIGNING_KEY_FILES`,
comma-separated: the first signs, the others are published and honoured — rotate by putting a
new file first and dropping the old one a token lifetime later) or one PEM in
`GRIDHUB_SIGNING_KEY`; their `kid` is the RFC 7638 thumbprint, the same in every process.
Otherwise they are generated into the database and rotated with `gridhub keys rotate`.
Private keys are never returned by any API."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import current_app
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from server.auth.models import RevokedToken, SigningKey
from server.errors import Unauthorized
from server.extensions.cache import register
from server.timeutil import now_utc

ALLOWED_ALGORITHMS = ("ES256", "RS256")


@dataclass(frozen=True)
class StaticKey:
    """A key loaded from a file or the environment."""

    kid: str
    alg: str
    private: Any
    public_jwk: dict[str, Any]


def load_static_keys(pems: list[str]) -> list[StaticKey]:
    """Parse PEM private keys (EC P-256 → ES256, RSA ≥ 2048 → RS256); ValueError if one is not."""
    keys = []
    for pem in pems:
        try:
            private = serialization.load_pem_private_key(pem.encode(), None)
        except (ValueError, TypeError) as exc:
            raise ValueError("not an unencrypted PEM private key") from exc
        if isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == "secp256r1":
            alg, jwk = "ES256", ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
        elif isinstance(private, rsa.RSAPrivateKey) and private.key_size >= 2048:
            alg, jwk = "RS256", RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
        else:
            raise ValueError("expected an EC P-256 or an RSA (>= 2048 bits) private key")
        kid = _thumbprint(jwk)
        keys.append(StaticKey(kid, alg, private, {**jwk, "kid": kid, "alg": alg, "use": "sig"}))
    return keys


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members in lexicographic order, base64url."""
    members = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")


def static_keys() -> list[StaticKey]:
    return current_app.extensions.get("gridhub_static_keys") or []


class KeyRing:
    """Per-process cache of our keys: the one we sign with, and public keys by kid. Entries are
    re-read after REFRESH seconds, so a rotation made by `gridhub keys rotate` (another
    process) reaches every API process within a minute."""

    REFRESH = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._signing: tuple[str, str, Any, float] | None = None  # kid, alg, private key, read at
        self._public: dict[str, tuple[str, Any, float]] = {}
        register(self)

    def clear(self) -> None:
        with self._lock:
            self._signing = None
            self._public.clear()

    def signing_key(self, alg: str) -> tuple[str, str, Any]:
        if static := static_keys():
            return static[0].kid, static[0].alg, static[0].private
        with self._lock:
            now = time.monotonic()
            if self._signing is None or self._signing[1] != alg or now - self._signing[3] > self.REFRESH:
                doc = SigningKey.objects(active=True, alg=alg).order_by("-created_at").first()
                if doc is None:
                    doc = _generate_key(alg)
                private = serialization.load_pem_private_key(doc.private_pem.encode(), None)
                self._signing = (doc.kid, doc.alg, private, now)
            return self._signing[:3]

    def public_key(self, kid: str) -> tuple[str, Any] | None:
        """The algorithm and public key of a kid we honour: active, or retired less than a
        token lifetime (plus leeway) ago."""
        if static := static_keys():
            match = next((k for k in static if k.kid == kid), None)
            return (match.alg, match.private.public_key()) if match else None
        with self._lock:
            now = time.monotonic()
            cached = self._public.get(kid)
            if cached is None or now - cached[2] > self.REFRESH:
                doc = SigningKey.objects(kid=kid).first()
                if doc is None or not _honoured(doc):
                    self._public.pop(kid, None)
                    return None
                algorithm = ECAlgorithm if doc.alg == "ES256" else RSAAlgorithm
                cached = self._public[kid] = (doc.alg, algorithm.from_jwk(doc.public_jwk), now)
            return cached[:2]


def _grace() -> timedelta:
    config = current_app.config
    return timedelta(seconds=config["ACCESS_TOKEN_TTL"] + config["JWT_LEEWAY"])


def _honoured(doc: SigningKey) -> bool:
    if doc.active or doc.retired_at is None:
        return bool(doc.active)
    retired = doc.retired_at if doc.retired_at.tzinfo else doc.retired_at.replace(tzinfo=UTC)
    return retired + _grace() > now_utc()


class KeysFromFiles(RuntimeError):
    """Keys configured from files are rotated by changing the files, not in the database."""


def rotate(alg: str) -> SigningKey:
    """A new signing key; the others retire (published until their tokens have expired)."""
    if static_keys():
        raise KeysFromFiles("signing keys come from GRIDHUB_SIGNING_KEY_FILES / GRIDHUB_SIGNING_KEY: "
                            "put a new key file first in the list, drop the old one a token "
                            "lifetime later")
    new = _generate_key(alg)
    SigningKey.objects(active=True, kid__ne=new.kid).update(set__active=False,
                                                            set__retired_at=now_utc())
    return new


def key_states() -> list[dict[str, Any]]:
    """Every key's kid, algorithm and state — never the private half."""
    if static := static_keys():
        return [{"kid": key.kid, "alg": key.alg, "created_at": None, "retired_at": None,
                 "state": "active" if i == 0 else "published"} for i, key in enumerate(static)]
    return [{"kid": doc.kid, "alg": doc.alg, "created_at": doc.created_at, "retired_at": doc.retired_at,
             "state": "active" if doc.active else ("published" if _honoured(doc) else "expired")}
            for doc in SigningKey.objects().order_by("-created_at")]


def _generate_key(alg: str) -> SigningKey:
    if alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
        jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    kid = secrets.token_urlsafe(12)
    jwk.update({"kid": kid, "alg": alg, "use": "sig"})
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return SigningKey(kid=kid, alg=alg, private_pem=pem, public_jwk=jwk).save(force_insert=True)


def keyring() -> KeyRing:
    return current_app.extensions["gridhub_keyring"]


def issue_access_token(*, subject: str, claims: dict[str, Any]) -> tuple[str, int]:
    """Sign an access token for `subject`; return it with its lifetime in seconds."""
    config = current_app.config
    kid, alg, private = keyring().signing_key(config["JWT_ALGORITHM"])
    now = int(time.time())
    ttl = config["ACCESS_TOKEN_TTL"]
    payload = {
        **claims,
        "iss": config["JWT_ISSUER"],
        "aud": config["JWT_AUDIENCE"],
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(payload, private, algorithm=alg, headers={"kid": kid}), ttl


class VerifiedCache:
    """Recently verified tokens, so a client's burst of requests pays one signature check.

    An entry lives at most `MAX_AGE` seconds and never past the token's own `exp`, so a key
    withdrawn from the database stops being honoured everywhere within a minute.
    """

    MAX_AGE = 60.0
    SIZE = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], tuple[float, dict[str, Any]]] = {}
        register(self)

    def get(self, key: tuple[str, str, str]) -> dict[str, Any] | None:
        now = time.time()
        with self._lock:
            hit = self._entries.get(key)
        if hit is None or now > hit[0]:
            return None
        return hit[1]

    def put(self, key: tuple[str, str, str], claims: dict[str, Any]) -> None:
        until = min(time.time() + self.MAX_AGE, float(claims["exp"]))
        with self._lock:
            if len(self._entries) >= self.SIZE:
                self._entries.clear()
            self._entries[key] = (until, claims)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def verify_access_token(token: str) -> dict[str, Any]:
    """Claims of a valid access token of ours; Unauthorized for anything else."""
    config = current_app.config
    cache: VerifiedCache = current_app.extensions["gridhub_verified"]
    cache_key = (token, config["JWT_AUDIENCE"], config["JWT_ISSUER"])
    claims = cache.get(cache_key)
    if claims is None:
        claims = _verify(token)
        cache.put(cache_key, claims)
    # Revocation (logout) is checked on every request, outside the cache.
    if RevokedToken.objects(jti=claims["jti"]).only("jti").first() is not None:
        raise Unauthorized("令牌已注销", reason="token_revoked")
    return claims


def _verify(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("令牌格式无效", reason="invalid_token") from exc
    kid = header.get("kid")
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS or not isinstance(kid, str):
        raise Unauthorized("令牌算法或密钥标识无效", reason="invalid_token")
    known = keyring().public_key(kid)
    if known is None or known[0] != alg:
        raise Unauthorized("令牌签名密钥未知", reason="invalid_token")
    config = current_app.config
    try:
        return jwt.decode(
            token, known[1], algorithms=[known[0]], audience=config["JWT_AUDIENCE"],
            issuer=config["JWT_ISSUER"], leeway=config["JWT_LEEWAY"],
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("令牌已过期", reason="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("令牌无效", reason="invalid_token") from exc


def jwks() -> dict[str, Any]:
    """The published public keys: active ones and those retired within a token lifetime. Never
    empty: a resource server that caches the set when it starts must find the key the next
    token will be signed with, so a deployment's first key is made here if none exists yet
    (`gridhub init-db` makes it before the first request)."""
    if static := static_keys():
        return {"keys": [key.public_jwk for key in static]}
    published = lambda: [doc.public_jwk  # noqa: E731
                         for doc in SigningKey.objects().order_by("-created_at") if _honoured(doc)]
    keys = published()
    if not keys:
        keyring().clear()  # what it holds cannot be published: read (or make) the key afresh
        ensure_signing_key()
        keys = published()
    return {"keys": keys}


def ensure_signing_key() -> str:
    """The kid tokens are signed with now, made (and stored) if there is none."""
    return keyring().signing_key(current_app.config["JWT_ALGORITHM"])[0]
