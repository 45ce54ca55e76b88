"""Query forms that are correct on MongoDB and on the embedded SecantusDB server alike.

A prefix match is a range, not an anchored regex: MongoDB's planner turns `^p` into the bounds
`[p, p+1)` on an index anyway, and SecantusDB 0.7.0b3 answers nothing for an anchored regex on a
field that leads an index (docs/DATABASE.md, "Known differences"). The upper bound U+FFFF is
above every code, category and action we store (ASCII).
"""

from __future__ import annotations

from typing import Any

from mongoengine.queryset.visitor import Q


def prefix_range(prefix: str) -> dict[str, Any]:
    """The raw condition "starts with `prefix`" for a string field."""
    return {"$gte": prefix, "$lt": prefix + "\uffff"}


def starts_with(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, as a mongoengine Q."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\uffff"})
