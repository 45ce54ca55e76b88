"""The region tree: county → town → community → grid (departments are `server.organisation`)."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateField,
    DictField,
    Document,
    ListField,
    StringField,
)

LEVELS = ("county", "town", "community", "grid")
CODE_LENGTHS = {"county": 6, "town": 9, "community": 12, "grid": 15}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}


def parent_code(code: str) -> str | None:
    """The code of a node's parent: the code less its last three digits (none for a county)."""
    return code[:-3] if len(code) > 6 else None


class Region(Document):
    """A node of the region tree, referred to by its administrative code."""

    code = StringField(primary_key=True, regex=r"^\d{6}(\d{3}){0,3}$")
    name = StringField(required=True, max_length=100)
    level = StringField(required=True, choices=LEVELS)
    parent = StringField()
    path = ListField(StringField(), required=True)  # ancestors' codes, root first, self last
    geometry = DictField()  # GeoJSON Polygon/MultiPolygon in WGS84: a grid's or a county's area
    # A county with a default queue accepts reports inside its area but outside every grid.
    default_queue = BooleanField(default=False)
    staff = ListField(StringField())  # responsible people: user ids
    # 多网格融合: per domain, the grid workers (user ids) and the department answering there:
    # [{"domain": "城管", "grid_workers": [...], "department": "371083-cgj"}]
    layers = ListField(DictField())
    start_date = DateField()
    end_date = DateField()
    retired = BooleanField(default=False)
    sla_profile = StringField()  # the SLA profile for cases here (nearest ancestor's wins)

    meta = {"collection": "regions", "indexes": ["parent", "path", "level"]}
