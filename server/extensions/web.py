"""Browser-facing HTTP hygiene: security headers, CORS for the configured mini-app origins,
and the trusted-proxy setting that decides whose X-Forwarded-For counts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

API_PREFIXES = ("/api/v1/", "/open311/", "/.well-known/")
# Pages that run scripts of their own (Swagger UI, the H5 mini-app): same-origin resources only.
PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'self'; "
            "base-uri 'none'; form-action 'self'")
# The mini-app: its own modules only, no inline script or style at all.
MINIAPP_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
               "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'; "
               "object-src 'none'")
# JSON, XML and images: nothing to run, nothing to frame.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
CORS_HEADERS = "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key"
CORS_EXPOSE = "ETag, Location, Retry-After, X-Pagination"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"


def init_web(app: Flask) -> None:
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.before_request(_preflight)
    app.after_request(_headers)


def _allowed_origin() -> str | None:
    from flask import current_app

    origin = request.headers.get("Origin")
    if origin and origin in current_app.config.get("CORS_ORIGINS", ()) \
            and request.path.startswith(API_PREFIXES):
        return origin
    return None


def _preflight() -> Response | None:
    """A CORS preflight from an allowed origin: answered here, before any route logic."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    response = Response(status=204)
    if _allowed_origin():
        response.headers.update({"Access-Control-Allow-Methods": CORS_METHODS,
                                 "Access-Control-Allow-Headers": CORS_HEADERS,
                                 "Access-Control-Max-Age": "600"})
    return response


def miniapp_csp() -> str:
    """The mini-app's policy; a configured base-map tile server may serve its images."""
    tiles = current_app.config.get("MAP_TILE_URL")
    if not tiles:
        return MINIAPP_CSP
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(tiles))
    return MINIAPP_CSP.replace("img-src 'self' data: blob:", f"img-src 'self' data: blob: {origin}")


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    page = request.path.startswith(("/api/docs", "/miniapp"))
    headers.setdefault("X-Frame-Options", "SAMEORIGIN" if page else "DENY")
    miniapp = request.path.startswith("/miniapp")
    headers.setdefault("Content-Security-Policy",
                       miniapp_csp() if miniapp else PAGE_CSP if page else API_CSP)
    if miniapp:
        headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-site" if page else "cross-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.path.startswith("/api/v1/") and "Authorization" in request.headers:
        headers.setdefault("Cache-Control", "no-store")  # personal answers stay out of caches
    origin = _allowed_origin()
    if origin:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = CORS_EXPOSE
    if request.headers.get("Origin") and request.path.startswith(API_PREFIXES):
        headers.add("Vary", "Origin")
    return response
