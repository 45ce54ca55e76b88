"""Configuration: defaults in classes, overrides from GRIDHUB_* / MONGODB_URI env vars.

Env vars are parsed strictly when the app is created (never at import time): a value that does
not parse stops start-up with a `ConfigError` naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from typing import Any


class ConfigError(RuntimeError):
    """A setting from the environment does not parse."""


class Config:
    TESTING = False
    # Unset: `gridhub run` starts the embedded database (a SecantusDB server process) on
    # DATA_DIR; the app itself refuses to start without a URI (production needs a MongoDB).
    MONGODB_URI: str | None = None
    DB_EMBEDDED = False  # set by the `gridhub` command when it started the embedded server
    MONGODB_DB = "gridhub"
    JWT_ISSUER = "gridhub"
    JWT_AUDIENCE = "gridhub-api"
    JWT_ALGORITHM = "ES256"
    ACCESS_TOKEN_TTL = 900  # seconds
    JWT_LEEWAY = 30
    # Production signing keys: PEM texts (from GRIDHUB_SIGNING_KEY_FILES or GRIDHUB_SIGNING_KEY);
    # the first signs. Empty: keys generated into the database (`gridhub keys rotate`).
    SIGNING_KEYS: list[str] = []
    # Bodies: JSON requests are small; uploads are one photo of at most 10 MB plus form overhead.
    MAX_JSON_BYTES = 256 * 1024
    MAX_POINTS_BYTES = 1024 * 1024  # a batch of patrol positions (at most 5,000 of them)
    MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 64 * 1024
    MAX_IMAGE_PIXELS = 24_000_000  # header check; JPEGs are decoded at most 4096 px a side
    MAX_IMPORT_BYTES = 50 * 1024 * 1024  # a county's grids as GeoJSON
    THUMBNAIL_PX = 320
    EVALUATION_WINDOW_DAYS = 7
    EVALUATION_REMINDER_DAYS = 3  # remind a reporter who has not evaluated this long after closing
    REOPEN_WINDOW_DAYS = 30
    CALLBACK_WORKING_DAYS = 2  # a 不满意 evaluation's 回访 is due within this many working days
    FOLLOWERS_TO_RAISE = 5  # followers (附议) past which a normal case is raised to urgent, once
    PATROL_IDLE_MINUTES = 60  # an open patrol with no position for this long is ended
    PATROL_POINT_RETENTION_DAYS = 180  # raw positions kept; then only the simplified track
    PATROL_MAX_ACCURACY_M = 50  # a position less accurate than this is kept but not counted
    CHECKIN_TOLERANCE_M = 50  # a check-in this close outside an own grid still counts (GPS error)
    # What a visit (走访) is for: the list a worker picks from
    VISIT_PURPOSES = ["独居老人", "矛盾纠纷", "安全隐患", "政策宣传", "困难帮扶", "其他"]
    TIMEZONE = "Asia/Shanghai"
    DEMO = False  # demo data loaded: the mini-app offers the demo accounts (set by `gridhub run` embedded)
    # Unset: the in-process `memory://` transport (embedded default: worker and beat threads).
    CELERY_BROKER_URL: str | None = None
    SLA_SWEEP_SECONDS = 60
    AUDIT_RETENTION_DAYS = 180
    # The public base URL (behind a proxy): a client assertion's `aud` may name
    # <PUBLIC_URL>/api/v1/auth/token besides the URL the request arrived on.
    PUBLIC_URL: str | None = None
    # 32 bytes (base64) sealing residents' phones and ID numbers; unset: generated into the
    # database (fine for the embedded default, not for production).
    PII_KEY: bytes | None = None
    # Residents' SSO: `dev` (demo tickets), `http` (the hub's ticket service) or module:Class;
    # unset: no token exchange (`gridhub run` on the embedded database uses `dev`).
    IDENTITY_PROVIDER: str | None = None
    HUB_SSO_URL: str | None = None
    HUB_SSO_APP_ID: str | None = None
    HUB_SSO_APP_SECRET: str | None = None
    HUB_SSO_TIMEOUT = 5  # seconds
    # Push: a Firebase service-account file (unset: inbox and SMS only). The endpoint is
    # Google's unless pointed elsewhere (scripts/fake_fcm.py in tests).
    FCM_CREDENTIALS: str | None = None
    FCM_ENDPOINT = "https://fcm.googleapis.com"
    FCM_TIMEOUT = 10  # seconds per HTTP call
    # A delivery claim's lease: longer than a batch can take (HTTP timeout 10 s a wave of 100
    # parallel pushes, 5 waves); a claim older than this is taken to be a dead worker's.
    DELIVERY_LEASE_SECONDS = 90
    # SMS: `module:Class` of the gateway, constructed with the config; default logs each text.
    SMS_GATEWAY = "notifications.channels.sms:LoggingGateway"

    # Rate limits ("N/period", several joined by ";"); counters in Redis (see server/extensions/limits.py).
    RATE_LIMITS_ENABLED = True
    RATELIMIT_STORAGE_URI: str | None = None
    RATE_LIMIT_TOKEN_IP = "60/minute;600/hour"  # the token endpoint, per client IP
    RATE_LIMIT_TOKEN_USER = "10/minute;100/hour"  # password sign-ins, per username
    RATE_LIMIT_REPORTS = "30/minute;500/day"  # case reports, per principal
    RATE_LIMIT_UPLOADS = "60/minute;1000/day"  # photo uploads, per principal
    # Reverse proxies in front of us whose X-Forwarded-For / -Proto / -Host are trusted (0: none).
    TRUSTED_PROXIES = 0
    # Origins (scheme://host[:port]) of the hub's mini-app pages allowed to call the API from a browser.
    CORS_ORIGINS: list[str] = []
    # The H5 mini-app's static files, served at /miniapp/ (unset: the miniapp_stub folder of a
    # source checkout; a folder that does not exist turns /miniapp/ off), and the county whose
    # branch hall it opens (unset: the first active hall).
    MINIAPP_DIR: str | None = None
    MINIAPP_REGION: str | None = None
    # A base-map tile URL ({z}/{x}/{y}, WGS84 tiles such as 天地图) for the mini-app's maps; off
    # by default: the maps draw our own grid polygons and points without any tile server.
    MAP_TILE_URL: str | None = None
    # Counties whose cases of public categories anyone may read through Open311 (coarsened, no
    # personal data, no staff note). Empty (default): Open311 reads need a sister app's api_key.
    OPEN311_PUBLIC_REGIONS: list[str] = []
    # Networks webhooks may reach although not globally routable (loopback, private, link-local
    # and metadata addresses are refused otherwise): an intranet receiver, or tests.
    WEBHOOK_ALLOWED_NETWORKS: list = []
    DB_RETRY_AFTER = 5  # seconds a client is told to wait when the database is unreachable (503)

    API_TITLE = "gridhub"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "v1/openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/api/docs/static/"
    JSON_AS_ASCII = False


class TestConfig(Config):
    TESTING = True
    # The tests' webhook receivers listen on loopback.
    WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]


def _int(value: str) -> int:
    return int(value, 10)


def _purposes(value: str) -> list[str]:
    purposes = [p.strip() for p in value.split(",") if p.strip()]
    if not purposes or any(len(p) > 20 for p in purposes) or len(set(purposes)) != len(purposes):
        raise ValueError("expected comma-separated, distinct purposes of at most 20 characters")
    return purposes


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true/false")


def _mongo_uri(value: str) -> str:
    if not value.startswith(("mongodb://", "mongodb+srv://")):
        raise ValueError("expected a mongodb:// or mongodb+srv:// URI")
    return value


def _broker_url(value: str) -> str:
    if not value.startswith(("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://",
                             "memory://")):
        raise ValueError("expected a redis://, rediss://, amqp:// or memory:// URL")
    return value


def _file(value: str) -> str:
    if not os.path.isfile(value):
        raise ValueError("no such file")
    return value


def _directory(value: str) -> str:
    if not os.path.isdir(value):
        raise ValueError("no such directory")
    return value


def _county(value: str) -> str:
    if not (len(value) == 6 and value.isascii() and value.isdigit()):
        raise ValueError("expected a six-digit county code")
    return value


def _counties(value: str) -> list[str]:
    return [_county(part.strip()) for part in value.split(",") if part.strip()]


def _networks(value: str) -> list:
    from server.webhooks.destinations import parse_networks

    return parse_networks(value)


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value.rstrip("/")


def _tile_url(value: str) -> str:
    url = _http_url(value)
    if not all(part in url for part in ("{z}", "{x}", "{y}")):
        raise ValueError("expected a tile URL with {z}, {x} and {y}")
    if "{s}" in url:  # the page's security policy names one image host
        raise ValueError("expected one host, without {s} subdomains")
    return url


def _dotted(value: str) -> str:
    module, _, name = value.partition(":")
    if not module or not name.isidentifier():
        raise ValueError("expected module:Class")
    return value


def _algorithm(value: str) -> str:
    if value not in ("ES256", "RS256"):
        raise ValueError("expected ES256 or RS256")
    return value


def _provider(value: str) -> str:
    return value if value in ("dev", "http") else _dotted(value)


def _limits(value: str) -> str:
    from limits import parse_many

    parse_many(value)  # ValueError when it does not parse
    return value


def _origins(value: str) -> list[str]:
    origins = [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
    for origin in origins:
        if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
            raise ValueError(f"expected scheme://host[:port], got {origin!r}")
    return origins


def _storage(value: str) -> str:
    if not value.startswith(("redis://", "rediss://", "redis+sentinel://", "memory://")):
        raise ValueError("expected a redis:// or memory:// URI")
    return value


def _pem_files(value: str) -> list[str]:
    texts = []
    for path in (part.strip() for part in value.split(",") if part.strip()):
        if not os.path.isfile(path):
            raise ValueError(f"no such file: {path}")
        with open(path, encoding="ascii", errors="replace") as handle:
            texts.append(handle.read())
    if not texts:
        raise ValueError("expected one or more PEM file paths, comma-separated")
    return texts


def _pem(value: str) -> list[str]:
    return [value.replace("\\n", "\n")]


def _pii_key(value: str) -> bytes:
    from server.pii import parse_key

    return parse_key(value)


# variable -> (setting, parser)
ENV_SETTINGS: Mapping[str, tuple[str, Callable[[str], Any]]] = {
    "MONGODB_URI": ("MONGODB_URI", _mongo_uri),
    "GRIDHUB_MONGODB_DB": ("MONGODB_DB", str),
    "GRIDHUB_JWT_ISSUER": ("JWT_ISSUER", str),
    "GRIDHUB_JWT_AUDIENCE": ("JWT_AUDIENCE", str),
    "GRIDHUB_JWT_ALGORITHM": ("JWT_ALGORITHM", _algorithm),
    "GRIDHUB_ACCESS_TOKEN_TTL": ("ACCESS_TOKEN_TTL", _int),
    "GRIDHUB_MAX_UPLOAD_BYTES": ("MAX_UPLOAD_BYTES", _int),
    "GRIDHUB_MAX_IMPORT_BYTES": ("MAX_IMPORT_BYTES", _int),
    "GRIDHUB_EVALUATION_WINDOW_DAYS": ("EVALUATION_WINDOW_DAYS", _int),
    "GRIDHUB_REOPEN_WINDOW_DAYS": ("REOPEN_WINDOW_DAYS", _int),
    "GRIDHUB_FOLLOWERS_TO_RAISE": ("FOLLOWERS_TO_RAISE", _int),
    "GRIDHUB_CALLBACK_WORKING_DAYS": ("CALLBACK_WORKING_DAYS", _int),
    "GRIDHUB_PATROL_IDLE_MINUTES": ("PATROL_IDLE_MINUTES", _int),
    "GRIDHUB_PATROL_POINT_RETENTION_DAYS": ("PATROL_POINT_RETENTION_DAYS", _int),
    "GRIDHUB_PATROL_MAX_ACCURACY_M": ("PATROL_MAX_ACCURACY_M", _int),
    "GRIDHUB_CHECKIN_TOLERANCE_M": ("CHECKIN_TOLERANCE_M", _int),
    "GRIDHUB_VISIT_PURPOSES": ("VISIT_PURPOSES", _purposes),
    "GRIDHUB_EVALUATION_REMINDER_DAYS": ("EVALUATION_REMINDER_DAYS", _int),
    "GRIDHUB_DEMO": ("DEMO", _bool),
    "CELERY_BROKER_URL": ("CELERY_BROKER_URL", _broker_url),
    "GRIDHUB_SLA_SWEEP_SECONDS": ("SLA_SWEEP_SECONDS", _int),
    "GRIDHUB_AUDIT_RETENTION_DAYS": ("AUDIT_RETENTION_DAYS", _int),
    "GRIDHUB_PUBLIC_URL": ("PUBLIC_URL", _http_url),
    "GRIDHUB_PII_KEY": ("PII_KEY", _pii_key),
    "GRIDHUB_RATE_LIMITS_ENABLED": ("RATE_LIMITS_ENABLED", _bool),
    "GRIDHUB_RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", _storage),
    "GRIDHUB_RATE_LIMIT_TOKEN_IP": ("RATE_LIMIT_TOKEN_IP", _limits),
    "GRIDHUB_RATE_LIMIT_TOKEN_USER": ("RATE_LIMIT_TOKEN_USER", _limits),
    "GRIDHUB_RATE_LIMIT_REPORTS": ("RATE_LIMIT_REPORTS", _limits),
    "GRIDHUB_RATE_LIMIT_UPLOADS": ("RATE_LIMIT_UPLOADS", _limits),
    "GRIDHUB_TRUSTED_PROXIES": ("TRUSTED_PROXIES", _int),
    "GRIDHUB_CORS_ORIGINS": ("CORS_ORIGINS", _origins),
    "GRIDHUB_SIGNING_KEY": ("SIGNING_KEYS", _pem),
    "GRIDHUB_SIGNING_KEY_FILES": ("SIGNING_KEYS", _pem_files),
    "GRIDHUB_IDENTITY_PROVIDER": ("IDENTITY_PROVIDER", _provider),
    "GRIDHUB_HUB_SSO_URL": ("HUB_SSO_URL", _http_url),
    "GRIDHUB_HUB_SSO_APP_ID": ("HUB_SSO_APP_ID", str),
    "GRIDHUB_HUB_SSO_APP_SECRET": ("HUB_SSO_APP_SECRET", str),
    "GRIDHUB_HUB_SSO_TIMEOUT": ("HUB_SSO_TIMEOUT", _int),
    "GOOGLE_APPLICATION_CREDENTIALS": ("FCM_CREDENTIALS", _file),
    "GRIDHUB_FCM_CREDENTIALS": ("FCM_CREDENTIALS", _file),
    "GRIDHUB_FCM_ENDPOINT": ("FCM_ENDPOINT", _http_url),
    "GRIDHUB_FCM_TIMEOUT": ("FCM_TIMEOUT", _int),
    "GRIDHUB_SMS_GATEWAY": ("SMS_GATEWAY", _dotted),
    "GRIDHUB_DELIVERY_LEASE_SECONDS": ("DELIVERY_LEASE_SECONDS", _int),
    "GRIDHUB_MINIAPP_DIR": ("MINIAPP_DIR", _directory),
    "GRIDHUB_MINIAPP_REGION": ("MINIAPP_REGION", _county),
    "GRIDHUB_MAP_TILE_URL": ("MAP_TILE_URL", _tile_url),
    "GRIDHUB_OPEN311_PUBLIC_REGIONS": ("OPEN311_PUBLIC_REGIONS", _counties),
    "GRIDHUB_WEBHOOK_ALLOWED_NETWORKS": ("WEBHOOK_ALLOWED_NETWORKS", _networks),
}


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Parse the recognised env vars; raise ConfigError naming the first bad one."""
    environ = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for variable, (setting, parse) in ENV_SETTINGS.items():
        raw = environ.get(variable)
        if raw is None or raw == "":
            continue
        try:
            settings[setting] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"environment variable {variable}={raw!r} is invalid: {exc}") from exc
    if "MAX_UPLOAD_BYTES" in settings:
        settings["MAX_CONTENT_LENGTH"] = settings["MAX_UPLOAD_BYTES"] + 64 * 1024
    return settings
