"""Personal data (个人信息, DESIGN §7): phone and ID numbers sealed at rest, masked on output.

A phone or ID number is stored twice, and never in clear: sealed (AES-256-GCM, readable by
those with `pii:read`) and as a keyed digest (HMAC-SHA256, a "blind index") so that an exact
number can be looked up without the database holding anything searchable in clear. Both keys
derive from one 32-byte secret: `GRIDHUB_PII_KEY` (base64) in production; without it a key is
generated once into the database (the embedded default and tests) and a warning is logged.

Names, phones and ID numbers of residents are masked (脱敏) for anyone without `pii:read`
(who has it: `server.auth.permissions.can_read_pii`):
`王**`, `138****5678`, `3710**********1234`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import threading

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from mongoengine import DateTimeField, Document, StringField
from mongoengine.errors import NotUniqueError

from server.timeutil import now_utc

log = logging.getLogger(__name__)

SEALED_PREFIX = "v1:"


class PiiKey(Document):
    """The generated key of a deployment without GRIDHUB_PII_KEY (one document)."""

    id = StringField(primary_key=True, default="pii")
    key = StringField(required=True)  # base64
    created_at = DateTimeField()

    meta = {"collection": "pii_keys"}


class Vault:
    """Seal, open and digest personal data with keys derived from one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise ValueError("the PII key must be 32 bytes")
        self._secret = secret
        self._aead = AESGCM(_derive(secret, b"gridhub pii seal"))
        self._index = _derive(secret, b"gridhub pii index")

    def derive(self, info: bytes) -> bytes:
        """Another key from the same secret, for `info`'s purpose."""
        return _derive(self._secret, info)

    def seal(self, value: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode(), b"gridhub-pii")
        return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str) -> str:
        raw = base64.urlsafe_b64decode(sealed.removeprefix(SEALED_PREFIX).encode())
        return self._aead.decrypt(raw[:12], raw[12:], b"gridhub-pii").decode()

    def digest(self, value: str) -> str:
        return hmac.new(self._index, normalise(value).encode(), hashlib.sha256).hexdigest()


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def parse_key(value: str) -> bytes:
    """A configured key: 32 bytes, base64 (standard or URL-safe, padding optional)."""
    text = value.strip()
    try:
        raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("expected 32 bytes in base64") from exc
    if len(raw) != 32:
        raise ValueError("expected 32 bytes in base64")
    return raw


_lock = threading.Lock()


def vault() -> Vault:
    """This app's vault: the configured key, else the deployment's generated one."""
    extensions = current_app.extensions
    if "gridhub_pii" not in extensions:
        with _lock:
            if "gridhub_pii" not in extensions:
                configured = current_app.config.get("PII_KEY")
                extensions["gridhub_pii"] = Vault(configured if configured else _stored_key())
    return extensions["gridhub_pii"]


def _stored_key() -> bytes:

    doc = PiiKey.objects(id="pii").first()
    if doc is None:
        if not current_app.config.get("DB_EMBEDDED") and not current_app.testing:
            log.warning("GRIDHUB_PII_KEY is not set: personal data is sealed with a key kept in "
                        "the database itself; set GRIDHUB_PII_KEY in production")
        try:
            doc = PiiKey(key=base64.b64encode(secrets.token_bytes(32)).decode(),
                         created_at=now_utc()).save(force_insert=True)
        except NotUniqueError:  # another process generated it first
            doc = PiiKey.objects(id="pii").first()
    return base64.b64decode(doc.key)


def normalise(value: str) -> str:
    """Digits and X only, upper case: `138 1234-5678` and `13812345678` are one number."""
    return "".join(ch for ch in value.upper() if ch.isdigit() or ch == "X")


def seal(value: str | None) -> tuple[str | None, str | None]:
    """(sealed, digest) of a value; (None, None) for none."""
    if not value:
        return None, None
    box = vault()
    return box.seal(normalise(value)), box.digest(value)


def reveal(sealed: str | None) -> str | None:
    return vault().open(sealed) if sealed else None


def digest(value: str) -> str:
    return vault().digest(value)


class SealedValue:
    """A document attribute in clear over its `<name>_sealed` and `<name>_digest` fields."""

    def __set_name__(self, owner, name: str) -> None:
        self.sealed, self.digest = f"{name}_sealed", f"{name}_digest"

    def __get__(self, document, owner=None):
        return self if document is None else reveal(getattr(document, self.sealed))

    def __set__(self, document, value: str | None) -> None:
        sealed, digest_ = seal(value)
        setattr(document, self.sealed, sealed)
        setattr(document, self.digest, digest_)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_id_number(number: str | None) -> str | None:
    if not number:
        return number
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * len(number)


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def masked_actor(actor: dict, *, clear: bool) -> dict:
    """A history entry's actor: a resident's name masked unless the reader may see it in clear
    (`permissions.can_read_pii`); staff names are their work identity and stay."""
    if clear or "resident" not in (actor.get("roles") or ()):
        return actor
    return {**actor, "name": mask_name(actor.get("name"))}
