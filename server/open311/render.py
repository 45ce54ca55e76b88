"""GeoReport v2 answers in JSON or XML, and its error list `[{code, description}]`."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape

from flask import Response

# XML: the element of each item of a list, by the list's element name (GeoReport v2 §formats)
ITEM = {"services": "service", "service_requests": "request", "attributes": "attribute",
        "service_request_updates": "request_update", "notes": "note",
        "values": "value", "endpoints": "endpoint", "formats": "format", "errors": "error"}


# Characters XML 1.0 does not allow at all (escaping cannot help): C0 controls but tab, LF, CR;
# surrogates; U+FFFE/U+FFFF. Stored text predating input checks must not break the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(name: str, value: Any) -> str:
    if isinstance(value, list):
        item = ITEM.get(name, "item")
        return f"<{name}>{''.join(_xml(item, v) for v in value)}</{name}>"
    if isinstance(value, dict):
        return f"<{name}>{''.join(_xml(k, v) for k, v in value.items())}</{name}>"
    if value is None:
        return f"<{name}/>" if name != "item" else ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(_NOT_XML.sub('', str(value)))}</{name}>"


def answer(fmt: str, root: str, payload: Any, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """`payload` as JSON, or as XML under the element `root`."""
    if fmt == "xml":
        body = '<?xml version="1.0" encoding="utf-8"?>' + _xml(root, payload)
        return Response(body, status=status, mimetype="text/xml", headers=headers)
    return Response(json.dumps(payload, ensure_ascii=False), status=status,
                    mimetype="application/json", headers=headers)


def errors(fmt: str, status: int, description: str, headers: dict[str, str] | None = None) -> Response:
    return answer(fmt, "errors", [{"code": status, "description": description}], status, headers)
