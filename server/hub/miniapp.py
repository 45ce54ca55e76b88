"""The H5 mini-app (miniapp_stub/) served at /miniapp/: static pages and JS modules, no build
step, plus `config.json` telling the pages which branch hall to open and whether this is a demo
(demo accounts and the dev SSO ticket endpoint available)."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, send_from_directory, url_for

from server.errors import NotFound
from server.hub import service

log = logging.getLogger(__name__)
bp = Blueprint("miniapp", __name__, url_prefix="/miniapp")
SOURCE_CHECKOUT_DIR = Path(__file__).resolve().parents[2] / "miniapp_stub"
DEMO_USERS = ("dispatcher", "handler", "gridworker", "supervisor")


def folder() -> Path | None:
    configured = current_app.config.get("MINIAPP_DIR")
    path = Path(configured) if configured else SOURCE_CHECKOUT_DIR
    return path if (path / "index.html").is_file() else None


def init_miniapp(app: Flask) -> None:
    app.register_blueprint(bp)
    with app.app_context():
        if folder() is None:
            log.warning("mini-app not found (GRIDHUB_MINIAPP_DIR or ./miniapp_stub): /miniapp/ is off")


def _send(filename: str) -> Response:
    root = folder()
    if root is None:
        raise NotFound("未部署移动端页面", reason="not_found")
    # send_from_directory refuses paths leaving the folder (404); conditional: ETag revalidation.
    response = send_from_directory(root, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("")
def root_redirect() -> Response:
    return redirect(url_for("miniapp.page", filename="index.html"))


@bp.get("/")
def index() -> Response:
    return _send("index.html")


@bp.get("/config.json")
def config() -> Response:
    """What the pages need before signing in: the hall, the API base, demo settings."""
    from server.demo import COUNTY, DEMO_LOCATION, DEMO_PASSWORD

    settings = current_app.config
    region = settings.get("MINIAPP_REGION")
    hall = service.opening_hall(region=region)
    demo = bool(settings.get("DEMO"))
    body = {
        "api": "/api/v1",
        "region": hall.region if hall else region,
        "hall": hall.name if hall else None,
        "sso": bool(settings.get("IDENTITY_PROVIDER")),  # residents can sign in by hub ticket
        "demo": demo,
        "map_tiles": settings.get("MAP_TILE_URL"),  # None: our own polygons, no base map
    }
    if demo:
        body["demo_accounts"] = {"users": list(DEMO_USERS), "password": DEMO_PASSWORD}
        if body["region"] == COUNTY:
            body["demo_location"] = {"lat": DEMO_LOCATION[0], "lng": DEMO_LOCATION[1]}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<path:filename>")
def page(filename: str) -> Response:
    return _send(filename)
