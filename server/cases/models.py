"""The case document (DESIGN §4). Transitions write it through one conditional update."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    PointField,
    StringField,
)

from server.timeutil import now_utc
from workflows.case_table import PRIORITIES, State


class Case(Document):
    code = StringField(required=True, unique=True)
    status = StringField(required=True, choices=[s.value for s in State])
    category = StringField(required=True)
    priority = StringField(required=True, choices=PRIORITIES, default="normal")
    source = StringField(required=True, choices=("grid_worker", "resident", "client"))
    description = StringField(required=True, max_length=4000)
    location = PointField(required=True, auto_index=False)  # GeoJSON [lng, lat], WGS84; indexed below
    address = StringField(max_length=200)
    attributes = DictField()  # answers to the category's attributes
    region_path = ListField(StringField())  # county, town, community, grid
    grid = StringField()
    outside_grids = BooleanField(default=False)  # accepted into the county's default queue
    responsible_worker = StringField()  # user id, from the grid's layer for the domain
    suggested_department = StringField()  # where the dispatcher is advised to send it
    department = StringField()
    assignee = StringField()  # user id
    reporter = StringField(required=True)  # principal key, "user:<id>" or "client:<id>"
    reporter_name = StringField()
    # A resident's callback number: sealed, with a keyed digest for exact lookup (server/pii.py).
    contact_phone_sealed = StringField()
    contact_phone_digest = StringField()
    contact_name = StringField(max_length=64)  # a submitter named by a sister app (Open311)
    media_url = StringField(max_length=2048)  # a photo elsewhere (Open311 media_url; never fetched)
    location_source = StringField(choices=("gps", "address"), default="gps")  # address: gazetteer
    evaluation_reminded_at = DateTimeField()  # the reporter was reminded to evaluate
    attachments = ListField(StringField())
    # attachment id -> the action that added it (handle, self_handle) or "supplement"; the
    # photos filed with the report have none
    photo_stages = DictField()
    sla_profile = StringField()  # the SLA profile its clocks run on, fixed at report
    deadlines = DictField()  # phase -> clock (workflows.sla.Clock.to_doc)
    sla = DictField()  # summary of the running clocks: due_at, warn_at, phases, paused
    next_sla_check_at = DateTimeField()  # when the sweep must look at it next (indexed)
    escalation_level = IntField(default=0)  # 1 town, 2 county (raised by the sweep)
    flags = DictField()  # indicator facts (DESIGN §6): accepted, ontime_handle, closed …
    handle_wm = FloatField(default=0)  # working minutes spent handling (dispatch → handled)
    published_seq = IntField(default=0)  # history entries up to here were handed to the broker
    publish_pending_since = DateTimeField()  # set while some entry awaits publishing (relay)
    version = IntField(required=True, default=1)
    history = ListField(DictField())

    result = StringField()
    self_handled = BooleanField(default=False)
    merged_into = StringField()
    merged_cases = ListField(StringField())  # on a primary: the cases merged into it
    possible_duplicates = ListField(StringField())  # open cases nearby when this was reported
    supervision_level = IntField(default=0)
    extension = DictField(null=True)
    suspension = DictField(null=True)
    evaluation = DictField(null=True)
    rework_count = IntField(default=0)
    return_count = IntField(default=0)
    redispatch_count = IntField(default=0)
    reopen_count = IntField(default=0)
    extension_count = IntField(default=0)
    supervise_count = IntField(default=0)

    accepted_at = DateTimeField()
    dispatched_at = DateTimeField()
    signed_at = DateTimeField()
    handled_at = DateTimeField()
    returned_at = DateTimeField()
    closed_at = DateTimeField()
    ended_at = DateTimeField()

    # "<principal key>|<Idempotency-Key>", and a hash of the body it was first sent with.
    idempotency_key = StringField()
    idempotency_hash = StringField()
    created_at = DateTimeField(required=True, default=now_utc)
    created_day = StringField()  # "YYYY-MM-DD" in Asia/Shanghai, for indicators by day
    updated_at = DateTimeField(required=True, default=now_utc)

    # Data scope keys (server/cases/scope.py): region path, "dept:<department>", reporter.
    scope = ListField(StringField())
    # Me too (附议): who follows the case (principal keys; never shown), how many, and whether
    # their number has already raised its priority once.
    # A machine reporter's detection (video AI, IoT): device, confidence, detected_at, and the
    # sightings the device's repeated detections added (count, last_seen, last_snapshot).
    machine = DictField(default=None)
    followers = ListField(StringField())
    follower_count = IntField(default=0)
    support_raised = BooleanField(default=False)

    meta = {
        "collection": "cases",
        "indexes": [
            ("scope", "-created_at"),
            {"fields": ["idempotency_key"], "unique": True, "sparse": True},
            ("region_path", "-created_at"),
            ("status", "-created_at"),
            ("department", "status"),
            ("grid", "status"),
            "category",
            "priority",
            "source",
            "assignee",
            "reporter",
            {"fields": ["followers"], "sparse": True},
            {"fields": ["machine.device", "status"], "sparse": True},
            {"fields": ["contact_phone_digest"], "sparse": True},
            "-created_at",
            {"fields": ["next_sla_check_at"], "sparse": True},
            {"fields": ["publish_pending_since"], "sparse": True},
            ("region_path", "sla.due_at"),
            ("status", "closed_at"),
            # 2dsphere: possible duplicates and /cases/nearby ($geoNear). The version is named
            # (MongoDB's default): SecantusDB stores it and refuses the same index asked again
            # without it, so a second process or a restart failed (docs/DATABASE.md, #10).
            {"fields": ["(location"], "2dsphereIndexVersion": 3},
        ],
    }


class Counter(Document):
    """Atomic sequences: case codes per region and day, stamps."""

    id = StringField(primary_key=True)
    seq = IntField(default=0)

    meta = {"collection": "counters"}


class Callback(Document):
    """A 回访 task (issue 19): a 不满意 evaluation asks the supervisors of the case's region to
    call the reporter back within a few working days and record what came of it."""

    case = ObjectIdField(required=True)
    case_code = StringField(required=True)
    category = StringField()
    region_path = ListField(StringField())
    scope = ListField(StringField())  # the case's regions only: staff see it, the reporter not
    comment = StringField()  # what the reporter wrote with 不满意
    status = StringField(required=True, choices=("open", "done"), default="open")
    due_at = DateTimeField(required=True)
    created_at = DateTimeField(required=True)
    outcome = StringField(choices=("explained", "reopened"))
    note = StringField()
    done_by = StringField()
    done_at = DateTimeField()

    meta = {"collection": "callbacks", "indexes": [
        "case", ("scope", "status", "due_at")]}
