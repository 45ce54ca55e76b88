"""Open311 GeoReport v2 in our OpenAPI document (issue 20): its own contract, described as it
is — `.json` or `.xml` by the path, form-encoded posts, `api_key` in the query or form, and
errors as a list of `{code, description}` (not our envelope). See docs/INTEGRATION.md §7."""

from __future__ import annotations

from typing import Any

TAG = "open311"
FORMAT = {"name": "format", "in": "path", "required": True,
          "schema": {"type": "string", "enum": ["json", "xml"]}, "example": "json",
          "description": "json, or xml (the same data under GeoReport's XML elements)"}
API_KEY = {"name": "api_key", "in": "query", "required": False, "schema": {"type": "string"},
           "description": "a sister app's Open311 key (POST /api/v1/clients/{id}/api-key); "
                          "without it, only counties listed in GRIDHUB_OPEN311_PUBLIC_REGIONS "
                          "answer, with the public view (no description, address or photo)"}
_s = {"type": "string"}
_ns = {"type": "string", "nullable": True}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Open311Errors": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "integer"}, "description": _s}}},
    "Open311Service": {"type": "object", "properties": {
        "service_code": _s, "service_name": _s, "description": _s, "metadata": {"type": "boolean"},
        "type": _s, "keywords": _s, "group": _s}},
    "Open311ServiceDefinition": {"type": "object", "properties": {
        "service_code": _s, "attributes": {"type": "array", "items": {"type": "object", "properties": {
            "variable": {"type": "boolean"}, "code": _s, "datatype": _s, "required": {"type": "boolean"},
            "datatype_description": _ns, "order": {"type": "integer"}, "description": _s,
            "values": {"type": "array", "items": {"type": "object", "properties": {
                "key": _s, "name": _s}}}}}}}},
    "Open311Request": {"type": "object", "properties": {
        "service_request_id": _s, "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": _ns, "service_name": _ns, "service_code": _s, "description": _ns,
        "agency_responsible": _ns, "service_notice": _ns, "requested_datetime": _ns,
        "updated_datetime": _ns, "expected_datetime": _ns, "address": _ns, "address_id": _ns,
        "zipcode": _ns, "lat": {"type": "number"}, "long": {"type": "number"}, "media_url": _ns,
        "notes": {"type": "array", "description": "extensions=true: the public steps",
                  "items": {"type": "object", "properties": {
                      "datetime": _s, "status": _s, "description": _s}}}}},
    "Open311Update": {"type": "object", "properties": {
        "update_id": _s, "service_request_id": _s, "status": {"type": "string", "enum": ["open", "closed"]},
        "updated_datetime": _s, "description": _s, "media_url": _ns}},
    "Open311Created": {"type": "object", "properties": {
        "service_request_id": _s, "token": _s, "service_notice": _s, "account_id": _ns}},
    "Open311Discovery": {"type": "object", "properties": {
        "changeset": _s, "contact": _s, "key_service": _s,
        "endpoints": {"type": "array", "items": {"type": "object", "properties": {
            "specification": _s, "url": _s, "changeset": _s, "type": _s,
            "formats": {"type": "array", "items": _s}}}}}},
    "Open311RequestForm": {"type": "object", "required": ["api_key", "service_code"], "properties": {
        "api_key": _s, "service_code": {"type": "string", "example": "0102"},
        "lat": {"type": "number", "example": 36.9128}, "long": {"type": "number", "example": 121.5262},
        "address_string": {"type": "string", "description": "instead of lat/long: placed by the "
                                                             "gazetteer of region names"},
        "description": {"type": "string", "example": "胜利街菜市场东门口堆放生活垃圾"},
        "media_url": _s, "first_name": _s, "last_name": _s, "phone": _s, "email": _s,
        "attribute[CODE]": {"type": "string", "description": "an answer to the service's "
                                                              "attribute CODE"},
        "media": {"type": "string", "format": "binary",
                  "description": "multipart: a photo (JPEG/PNG/WebP), EXIF stripped"}},
        "additionalProperties": True},
}


FORM_EXAMPLE = {"api_key": "<the app's Open311 api_key>", "service_code": "0102", "lat": 36.9128,
                "long": 121.5262, "description": "胜利街菜市场东门口堆放生活垃圾，已有异味"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {
        "application/json": {"schema": schema}, "text/xml": {"schema": {"type": "string"}}}}


def _errors(*statuses: int) -> dict[str, Any]:
    meaning = {400: "a bad argument", 403: "a missing or insufficient api_key", 404: "not found",
               413: "too large", 429: "too many requests (Retry-After)", 503: "unavailable"}
    return {**{str(s): _answer(_ref("Open311Errors"), f"GeoReport errors: {meaning[s]}")
               for s in statuses},
            "default": _answer(_ref("Open311Errors"), "GeoReport errors (any other status)")}


def _get(summary: str, schema: dict[str, Any], *statuses: int, query: list | None = None) -> dict:
    return {"get": {"tags": [TAG], "summary": summary, "security": [],
                    "parameters": [FORMAT, *(query or [])],
                    "responses": {"200": _answer(schema), **_errors(*statuses)}}}


def _query(name: str, description: str, example: Any = None) -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
                 "description": description}
    return {**parameter, "example": example} if example is not None else parameter


PATHS: dict[str, dict[str, Any]] = {
    "/open311/v2/discovery.{format}": _get("GeoReport discovery", _ref("Open311Discovery"), 404),
    "/open311/v2/services.{format}": _get("The service list (the catalogue's 小类)", {
        "type": "array", "items": _ref("Open311Service")}, 404),
    "/open311/v2/services/{service_code}.{format}": {"get": {
        "tags": [TAG], "summary": "A service's definition (its attributes)", "security": [],
        "parameters": [{"name": "service_code", "in": "path", "required": True,
                        "schema": {"type": "string"}, "example": "0102"}, FORMAT],
        "responses": {"200": _answer(_ref("Open311ServiceDefinition")), **_errors(404)}}},
    "/open311/v2/requests.{format}": {
        **_get("Find service requests", {"type": "array", "items": _ref("Open311Request")},
               400, 403, 404, query=[
                   API_KEY, _query("service_request_id", "comma-separated; overrides the rest"),
                   _query("service_code", "comma-separated", "0102"),
                   _query("status", "open, closed or both (comma-separated)", "open"),
                   _query("start_date", "W3C datetime"), _query("end_date", "W3C datetime"),
                   _query("page", "from 1"), _query("page_size", "at most 100"),
                   _query("extensions", "true: each request with its public steps (notes)")]),
        "post": {"tags": [TAG], "summary": "File a service request as a sister app (cases:write)",
                 "security": [], "parameters": [FORMAT],
                 "requestBody": {"required": True, "content": {
                     "application/x-www-form-urlencoded": {"schema": _ref("Open311RequestForm"),
                                                           "example": FORM_EXAMPLE},
                     "multipart/form-data": {"schema": _ref("Open311RequestForm")}}},
                 "responses": {"201": _answer({"type": "array", "items": _ref("Open311Created")},
                                              "Created"),
                               **_errors(400, 403, 404, 413, 429)}}},
    "/open311/v2/servicerequestupdates.{format}": _get(
        "Updates to requests since a time (FixMyStreet's extension)",
        {"type": "array", "items": _ref("Open311Update")}, 400, 403, 404, query=[
            API_KEY, {**_query("start_date", "W3C datetime (required)"), "required": True},
            _query("end_date", "W3C datetime; at most 31 days after start_date")]),
    "/open311/v2/requests/{service_request_id}.{format}": {"get": {
        "tags": [TAG], "summary": "One service request by its code", "security": [],
        "parameters": [{"name": "service_request_id", "in": "path", "required": True,
                        "schema": {"type": "string"}, "example": "371083-20261201-000001"},
                       FORMAT, API_KEY],
        "responses": {"200": _answer({"type": "array", "items": _ref("Open311Request")}),
                      **_errors(400, 403, 404)}}},
    "/open311/v2/tokens/{token_id}.{format}": {"get": {
        "tags": [TAG], "summary": "The request a POST's token became", "security": [],
        "parameters": [{"name": "token_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}, FORMAT, API_KEY],
        "responses": {"200": _answer({"type": "array", "items": {"type": "object", "properties": {
            "service_request_id": _s, "token": _s}}}), **_errors(400, 403, 404)}}},
}


def register(spec) -> None:
    """Add GeoReport v2's paths and schemas to an apispec `APISpec`."""
    spec.tag({"name": TAG, "description": "Open311 GeoReport v2 (its own contract: .json/.xml, "
                                         "form posts, api_key, errors as [{code, description}])"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    # Not through spec.path(): flask-smorest's plugin wants a Flask rule of its own blueprints.
    spec.to_dict()["paths"].update(PATHS)
