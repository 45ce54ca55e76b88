"""Patrols (巡查), their positions, and check-ins (签到)."""

from __future__ import annotations

from mongoengine import (
    DateTimeField,
    DictField,
    Document,
    FloatField,
    IntField,
    ListField,
    StringField,
)

from server.timeutil import now_utc

PATROL_STATUSES = ("open", "ended")
ENDED_BY = ("worker", "idle")


class Patrol(Document):
    """One patrol of one grid worker, from start to end, with its figures so far.

    `open_worker` is the worker's id while the patrol is open and absent after: a unique sparse
    index on it is what makes "one open patrol per worker" hold under concurrent starts."""

    worker = StringField(required=True)  # user id
    worker_name = StringField()
    open_worker = StringField()
    scope = ListField(StringField())  # the worker's region path (county … grid) and "user:<id>"
    own_grids = ListField(StringField())  # the worker's grids when the patrol started
    status = StringField(required=True, choices=PATROL_STATUSES, default="open")
    started_at = DateTimeField(required=True)
    ended_at = DateTimeField()
    ended_by = StringField(choices=ENDED_BY)
    last_activity_at = DateTimeField(required=True)  # the start or the last batch received
    tail = DictField()  # the last counted position: at, lng, lat, grid
    point_count = IntField(default=0)
    flagged_count = IntField(default=0)
    duration_s = FloatField(default=0.0)  # written at the end: from start to end
    distance_m = FloatField(default=0.0)
    inside_m = FloatField(default=0.0)
    moving_s = FloatField(default=0.0)
    inside_s = FloatField(default=0.0)
    grids_visited = ListField(StringField())
    track = ListField(ListField(FloatField()))  # simplified [lng, lat], written at the end
    batches = ListField(DictField())  # the last batches received: key, hash, accepted, flagged
    version = IntField(default=1)
    created_day = StringField()  # YYYY-MM-DD (Shanghai) of the start

    meta = {"collection": "patrols", "indexes": [
        {"fields": ["open_worker"], "unique": True, "sparse": True},
        ("worker", "-started_at"),
        ("scope", "-started_at"),
        ("status", "last_activity_at"),
    ]}


class PatrolPoint(Document):
    """One position sent during a patrol, kept with its flags (workflows/patrol_track.py).

    The id is `<patrol>:<batch key>:<index>`: a batch stored again after a lost answer writes
    the same ids, so nothing is stored twice."""

    id = StringField(primary_key=True)
    patrol = StringField(required=True)
    worker = StringField(required=True)
    at = DateTimeField(required=True)
    lng = FloatField(required=True)  # WGS84
    lat = FloatField(required=True)
    accuracy_m = FloatField()
    grid = StringField()
    flags = ListField(StringField())
    received_at = DateTimeField(required=True, default=now_utc)

    meta = {"collection": "patrol_points", "indexes": [("patrol", "at"), "received_at"]}


class CheckIn(Document):
    """A grid worker's check-in (签到) in one of their grids; one per worker, day and grid."""

    worker = StringField(required=True)
    worker_name = StringField()
    grid = StringField(required=True)
    day = StringField(required=True)  # YYYY-MM-DD, Shanghai
    at = DateTimeField(required=True)
    lng = FloatField(required=True)  # WGS84
    lat = FloatField(required=True)
    accuracy_m = FloatField()
    distance_m = FloatField(default=0.0)  # outside the grid, within the tolerance
    scope = ListField(StringField())

    meta = {"collection": "checkins", "indexes": [
        {"fields": ["worker", "day", "grid"], "unique": True},
        ("scope", "-at"),
    ]}


class WorkLog(Document):
    """A grid worker's daily work log (工作日志): one per worker and day, editable that day."""

    worker = StringField(required=True)
    worker_name = StringField()
    day = StringField(required=True)  # YYYY-MM-DD, Shanghai
    text = StringField(required=True, max_length=4000)
    attachments = ListField(StringField())
    patrols = ListField(StringField())
    cases = ListField(StringField())
    scope = ListField(StringField())
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)
    version = IntField(default=1)

    meta = {"collection": "worklogs", "indexes": [
        {"fields": ["worker", "day"], "unique": True}, ("scope", "-day")]}


class Visit(Document):
    """A visit record (走访): the household or place visited, why, what was found.

    `subject` and `address` name residents: shown in clear to the worker who wrote them and to
    roles with `pii:read`, masked for everyone else."""

    worker = StringField(required=True)
    worker_name = StringField()
    subject = StringField(required=True, max_length=100)  # the household or place
    address = StringField(max_length=200)
    purpose = StringField(required=True)
    notes = StringField(max_length=2000)
    attachments = ListField(StringField())
    lng = FloatField()  # WGS84, where the phone was
    lat = FloatField()
    grid = StringField()
    visited_at = DateTimeField(required=True)
    day = StringField()  # YYYY-MM-DD (Shanghai) of visited_at
    case = StringField()  # a follow-up case
    scope = ListField(StringField())
    idempotency_key = StringField()  # "<worker key>|<Idempotency-Key>"
    idempotency_hash = StringField()
    created_at = DateTimeField(required=True)

    meta = {"collection": "visits", "indexes": [
        {"fields": ["idempotency_key"], "unique": True, "sparse": True},
        ("scope", "-visited_at"), ("worker", "-visited_at")]}


class PointRules(Document):
    """A county's points rules (积分, workflows/points.py), one version per effective day."""

    county = StringField(required=True)
    effective_from = StringField(required=True)  # YYYY-MM-DD
    rules = DictField(required=True)
    created_by = StringField()
    created_at = DateTimeField(required=True, default=now_utc)

    meta = {"collection": "point_rules", "indexes": [
        {"fields": ["county", "effective_from"], "unique": True}]}
