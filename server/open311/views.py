"""Open311 GeoReport v2 at /open311/v2 — every resource as `.json` or `.xml`.

A plain Flask blueprint, described in our OpenAPI document by hand (`openapi.py`): GeoReport
has its own contract — form-encoded posts, XML, and errors as a list of `{code, description}`.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from server.errors import GridhubError
from server.open311 import service, updates
from server.open311.render import answer, errors

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
FORMATS = ("json", "xml")


def _respond(fmt: str, root: str, produce) -> Response:
    if fmt not in FORMATS:
        return errors("json", 404, "格式须为 .json 或 .xml")
    try:
        return answer(fmt, root, produce())
    except service.Open311Error as exc:
        return errors(fmt, exc.status, exc.description, exc.headers)
    except GridhubError as exc:
        converted = service.from_gridhub_error(exc)
        return errors(fmt, converted.status, converted.description, converted.headers)


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    return _respond(fmt, "discovery", service.discovery)


@bp.get("/services.<fmt>")
def services(fmt: str):
    return _respond(fmt, "services", service.services)


@bp.get("/services/<service_code>.<fmt>")
def service_definition(service_code: str, fmt: str):
    return _respond(fmt, "service_definition", lambda: service.service_definition(service_code))


@bp.get("/requests.<fmt>")
def find_requests(fmt: str):
    return _respond(fmt, "service_requests", lambda: service.find_requests(request.args))


@bp.post("/requests.<fmt>")
def post_request(fmt: str):
    def create():
        if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            raise service.Open311Error(400, "请求体须为 application/x-www-form-urlencoded")
        return service.post_request(request.form, media=request.files.get("media"))
    response = _respond(fmt, "service_requests", create)
    if response.status_code == 200:
        response.status_code = 201
    return response


# Any body type reaches the view, which answers a wrong one in GeoReport's own error format.
post_request.body_types = ("application/x-www-form-urlencoded", "multipart/form-data",
                           "application/json", "text/xml", "application/xml", "text/plain")


@bp.get("/servicerequestupdates.<fmt>")
def request_updates(fmt: str):
    """FixMyStreet's extension: updates to requests since a time."""
    return _respond(fmt, "service_request_updates", lambda: updates.request_updates(request.args))


@bp.get("/requests/<request_id>.<fmt>")
def get_request(request_id: str, fmt: str):
    return _respond(fmt, "service_requests", lambda: service.get_request(request_id, request.args))


@bp.get("/tokens/<token_id>.<fmt>")
def token(token_id: str, fmt: str):
    return _respond(fmt, "service_requests", lambda: service.token(token_id, request.args))
