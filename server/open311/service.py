"""Open311 GeoReport v2 over our catalogue and cases (http://wiki.open311.org/GeoReport_v2).

- services are the active 小类 of the catalogue; their attributes are already in Open311's
  vocabulary (code, datatype, required, order, description, values);
- a request is a case: `service_request_id` is the case code, `status` is `open` until the
  case reaches a final state, `expected_datetime` the handle deadline, `agency_responsible` the
  department, `status_notes` the last text of the history written for the reporter (never a
  staff note: `workflows.visibility.public_entry`);
- reading is either a sister app's (`api_key` of a client holding `cases:read`: the cases its
  read scope shows it, its own reports) or anonymous, which only counties listed in
  `GRIDHUB_OPEN311_PUBLIC_REGIONS` allow (none by default), and then only for categories an
  admin marked `public`, reported in the last 90 days, without description, address, photo or
  personal data, the point coarsened to about 100 m and the place named by its community;
- posting needs `api_key`, a sister app's Open311 key, and that app must hold `cases:write`:
  the case records the app as reporter (source `client`), exactly as the JSON API does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, request
from mongoengine import Q
from werkzeug.datastructures import MultiDict

from server.auth import clients
from server.auth.principals import Principal
from server.cases import photos
from server.cases import service as cases
from server.cases.models import Case
from server.cases.scope import scope_filter
from server.cases.timeline import public_text
from server.catalog.models import Category
from server.errors import GridhubError
from server.extensions.schema import within_bounds
from server.grids import gazetteer
from server.grids import service as grids
from server.organisation.models import Department
from server.timeutil import SHANGHAI, aware, now_utc
from workflows.case_table import ACTIONS, FINAL_STATES
from workflows.visibility import public_entry

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = timedelta(days=90)
PAGE_SIZE, MAX_PAGE_SIZE = 50, 100
CASE_CODE = re.compile(r"^\d{6}-\d{8}-\d{6}$")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z][A-Za-z0-9_]{0,39})\](\[\])?$")
PHONE = re.compile(r"^\+?(86)?(1\d{10})$")
FINAL = frozenset(state.value for state in FINAL_STATES)
COARSE_DIGITS = 3  # anonymous readers get the point to 0.001° (about 100 m)


class Open311Error(Exception):
    """An error in GeoReport's terms: 400, 403, 404 (or 429 / 503) with a description."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.headers = status, description, headers or {}


def iso_time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(SHANGHAI).isoformat()


# --- discovery and services ------------------------------------------------------------------
def discovery() -> dict[str, Any]:
    """Where the endpoint lives: the configured public URL, never the request's Host header
    (which a caller chooses); a relative reference when none is configured."""
    base_url = (current_app.config["PUBLIC_URL"] or "") + "/open311/v2"
    return {"changeset": "2026-11-21T00:00:00+08:00", "contact": "网格化服务管理中心",
            "key_service": "向平台管理员申请接入应用并签发 Open311 api_key",
            "endpoints": [{"specification": SPECIFICATION, "url": base_url.rstrip("/"),
                           "changeset": "2026-11-21T00:00:00+08:00", "type": "production",
                           "formats": ["application/json", "text/xml"]}]}


def services() -> list[dict[str, Any]]:
    parents = {c.code: c.name for c in Category.objects(level=1).only("code", "name")}
    return [{"service_code": c.code, "service_name": c.name,
             "description": f"{parents.get(c.parent, '')}：{c.name}" if c.parent else c.name,
             "metadata": bool(c.attributes), "type": "realtime",
             "keywords": ",".join(c.keywords or ()), "group": parents.get(c.parent, "")}
            for c in Category.objects(level=2, active=True).order_by("parent", "code")]


def _category(code: str) -> Category:
    category = Category.objects(code=code, level=2, active=True).first() if code else None
    if category is None:
        raise Open311Error(404, f"service_code {code!r} 不存在")
    return category


def service_definition(code: str) -> dict[str, Any]:
    category = _category(code)
    return {"service_code": category.code, "attributes": [
        {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": None, "order": a.order, "description": a.description,
         "values": [{"key": v.key, "name": v.name} for v in a.values]}
        for a in sorted(category.attributes, key=lambda a: (a.order, a.code))]}


# --- posting a request -----------------------------------------------------------------------
def _poster(api_key: str | None) -> Principal:
    client = clients.by_api_key(api_key or "")
    if client is None:
        raise Open311Error(403, "api_key 无效或接入应用已停用")
    if "cases:write" not in client.scopes:
        raise Open311Error(403, "该接入应用没有 cases:write 授权")
    return clients.principal_of(client)


def _float(form: MultiDict, name: str, low: float, high: float) -> float:
    try:
        value = float(form[name])
    except ValueError:
        raise Open311Error(400, f"{name} 须为数字") from None
    if not low <= value <= high:  # also refuses NaN
        raise Open311Error(400, f"{name} 须在 {low} 到 {high} 之间")
    return value


def _text(form: MultiDict, name: str, limit: int) -> str | None:
    value = (form.get(name) or "").strip()
    if len(value) > limit:
        raise Open311Error(400, f"{name} 不能超过 {limit} 个字符")
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise Open311Error(400, f"{name} 不能包含控制字符")
    return value or None


def _attributes(form: MultiDict, category: Category) -> dict[str, Any]:
    """`attribute[code]=v` (and `attribute[code][]=v` for lists), typed as the service says."""
    defined = {a.code: a for a in category.attributes}
    answers: dict[str, Any] = {}
    for key in form:
        match = ATTRIBUTE.match(key)
        if key.startswith("attribute") and not match:
            raise Open311Error(400, f"属性参数 {key!r} 格式应为 attribute[code]")
        if not match:
            continue
        code, values = match.group(1), form.getlist(key)
        attribute = defined.get(code)
        if attribute is not None and attribute.datatype == "multivaluelist":
            answers[code] = values
        elif attribute is not None and attribute.datatype == "number":
            try:
                answers[code] = float(values[0])
            except ValueError:
                raise Open311Error(400, f"属性 {code} 须为数字") from None
        else:
            answers[code] = values[0]
    return answers


def _where(form: MultiDict) -> tuple[dict[str, Any], str | None]:
    address = _text(form, "address_string", 200)
    if form.get("lat") and form.get("long"):
        return {"lat": _float(form, "lat", -90, 90), "lng": _float(form, "long", -180, 180),
                "coord_system": "wgs84"}, address
    if form.get("lat") or form.get("long"):
        raise Open311Error(400, "lat 与 long 须同时提供")
    if not address:
        raise Open311Error(400, "须提供 lat 与 long，或 address_string")
    placed = gazetteer.place(address)
    if placed is None:
        raise Open311Error(400, "无法根据 address_string 定位到本辖区的街道、社区或网格，请提供 lat 与 long")
    return {"lng": placed[0], "lat": placed[1], "coord_system": "wgs84"}, address


def post_request(form: MultiDict, media: Any = None) -> list[dict[str, Any]]:
    """File a request as a sister app; `media`: an uploaded photo (multipart), stored like any
    photo (EXIF and GPS stripped) and attached to the case."""
    principal = _poster(form.get("api_key"))
    request.environ["gridhub.principal"] = principal  # the audit trail names the sister app
    category = _category(form.get("service_code") or "")
    location, address = _where(form)
    media_url = _text(form, "media_url", 2048)
    if media_url and not media_url.startswith(("http://", "https://")):
        raise Open311Error(400, "media_url 须为 http(s) 地址")
    phone = _text(form, "phone", 20)
    phone_match = PHONE.match(re.sub(r"[\s-]", "", phone)) if phone else None
    if phone and phone_match is None:
        raise Open311Error(400, "phone 须为 11 位手机号")
    name = " ".join(filter(None, (_text(form, "last_name", 32), _text(form, "first_name", 32))))
    _text(form, "email", 254)
    description = _text(form, "description", 4000) or category.name
    answers = _attributes(form, category)
    photo = photos.upload(principal=principal, data=media.read()) if media and media.filename else None
    data = {"category": category.code, "description": description, "location": location,
            "address": address, "attributes": answers, "attachments": [str(photo.id)] if photo else [],
            "media_url": media_url, "location_source": "gps" if form.get("lat") else "address",
            "contact_name": name or None, "contact_phone": phone_match.group(2) if phone_match else None}
    try:
        case, _ = cases.report(principal=principal, data=data)
    except GridhubError as exc:  # refused, nothing filed: the photo goes too
        if photo is not None and exc.status < 500:
            photos.discard_unfiled(photo)
        raise
    return [{"service_request_id": case.code, "token": str(case.id),
             "service_notice": "已受理登记，可凭 service_request_id 查询办理进度", "account_id": None}]


# --- reading requests ------------------------------------------------------------------------
def w3c_moment(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise Open311Error(400, f"{name} 须为 W3C 日期时间，如 2026-11-01T00:00:00+08:00") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
    if not within_bounds(moment):
        raise Open311Error(400, f"{name} 须在 1970 年至 2099 年之间")
    return moment


MAX_PAGE = 10_000


def _positive(args: MultiDict, name: str, default: int, limit: int | None = None) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= MAX_PAGE:
        raise Open311Error(400, f"{name} 须为 1 到 {MAX_PAGE} 之间的整数")
    return min(int(raw), limit) if limit else int(raw)


def reader_of(args: MultiDict) -> Principal | None:
    """The sister app reading (its `api_key` must hold `cases:read`), or None: anonymous."""
    if not args.get("api_key"):
        return None
    client = clients.by_api_key(args["api_key"])
    if client is None:
        raise Open311Error(403, "api_key 无效或接入应用已停用")
    if "cases:read" not in client.scopes:
        raise Open311Error(403, "该接入应用没有 cases:read 授权")
    return clients.principal_of(client)


def readable_for(reader: Principal | None) -> Q:
    """The cases a reader may read: a sister app's read scope, or the public view."""
    if reader is not None:
        return scope_filter(reader)
    counties = current_app.config["OPEN311_PUBLIC_REGIONS"]
    if not counties:
        raise Open311Error(403, "本平台未开放匿名查询，请使用具有 cases:read 授权的 api_key")
    public = [c.code for c in Category.objects(level=2, public=True).only("code")]
    return (Q(region_path__in=counties) & Q(category__in=public)
            & Q(created_at__gte=now_utc() - MAX_SPAN))


def find_requests(args: MultiDict) -> list[dict[str, Any]]:
    reader = reader_of(args)
    readable = readable_for(reader)
    ids = [i.strip() for i in (args.get("service_request_id") or "").split(",") if i.strip()]
    if ids:  # "overrides all other arguments"
        if len(ids) > MAX_PAGE_SIZE:
            raise Open311Error(400, f"一次最多查询 {MAX_PAGE_SIZE} 个 service_request_id")
        wanted = [i for i in ids if CASE_CODE.match(i)]
        found = {c.code: c for c in _cases(Q(code__in=wanted) & readable)} if wanted else {}
        return [_request(found[i], reader, extensions=_extended(args)) for i in ids if i in found]
    query = readable & (Q(merged_into=None) | Q(merged_into__exists=False))
    codes = [c.strip() for c in (args.get("service_code") or "").split(",") if c.strip()]
    if codes:
        query &= Q(category__in=codes)
    statuses = {s.strip() for s in (args.get("status") or "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status 只能是 open 或 closed")
    if statuses == {"open"}:
        query &= Q(status__nin=sorted(FINAL))
    elif statuses == {"closed"}:
        query &= Q(status__in=sorted(FINAL))
    start = w3c_moment(args["start_date"], "start_date") if args.get("start_date") else None
    end = w3c_moment(args["end_date"], "end_date") if args.get("end_date") else None
    if start and end and (end < start or end - start > MAX_SPAN):
        raise Open311Error(400, "start_date 与 end_date 须先后有序且相隔不超过 90 天")
    try:
        end = end or (start + MAX_SPAN if start else now_utc())
        start = start or end - MAX_SPAN
    except OverflowError:
        raise Open311Error(400, "start_date 或 end_date 超出可查询的范围") from None
    query &= Q(created_at__gte=start, created_at__lte=end)
    page = _positive(args, "page", 1)
    size = _positive(args, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
    return [_request(case, reader, extensions=_extended(args))
            for case in _cases(query).skip((page - 1) * size).limit(size)]


def _extended(args: MultiDict) -> bool:
    return (args.get("extensions") or "").lower() == "true"


def _cases(query: Q):
    """Cases, newest first, with their history: status_notes is the last note the public may
    read, which is not always the last entry (a `$slice` of the last entry would not do)."""
    return Case.objects(query).order_by("-created_at", "-id")


def get_request(request_id: str, args: MultiDict) -> list[dict[str, Any]]:
    reader = reader_of(args)
    case = (_cases(Q(code=request_id) & readable_for(reader)).first()
            if CASE_CODE.match(request_id) else None)
    if case is None:
        raise Open311Error(404, f"service_request_id {request_id!r} 不存在")
    return [_request(case, reader, extensions=_extended(args))]


def token(token_id: str, args: MultiDict) -> list[dict[str, Any]]:
    """A token is the submitter's: only the sister app that posted the request may look it up."""
    reader = reader_of(args)
    if reader is None:
        raise Open311Error(403, "查询 token 须提供提交该请求的接入应用的 api_key")
    case = (Case.objects(Q(id=token_id) & scope_filter(reader)).only("code").first()
            if OBJECT_ID.match(token_id) else None)
    if case is None:
        raise Open311Error(404, "token 不存在")
    return [{"service_request_id": case.code, "token": token_id}]


def _status_notes(case: Case) -> str | None:
    """The latest text written for the reporter: a public note, a rejection's reason, a result."""
    for entry in reversed(case.history or []):
        public = public_entry(entry)
        if public is None:
            continue
        for text in (public["note"], public["payload"].get("reason"), public["payload"].get("result")):
            if text:
                return str(text)
    return None


NOTE_LABELS = {"report": "已提交"}


def notes(case: Case, *, anonymous: bool) -> list[dict[str, Any]]:
    """The case's public steps, oldest first: [{update_id, at, status, description}]."""
    found = []
    for entry in case.history or ():
        public = public_entry(entry)
        if public is None:
            continue
        action = public["action"]
        spec = ACTIONS.get(action)
        text = (spec.label if spec else NOTE_LABELS.get(action, action)) if anonymous else public_text(public)
        if text is None:
            continue
        found.append({"update_id": f"{case.code}-{public['seq']}", "at": aware(public["at"]),
                      "status": "closed" if public["to"] in FINAL else "open", "description": text})
    return found


def request_notes(case: Case, *, anonymous: bool) -> list[dict[str, Any]]:
    """`extensions=true`: a request's notes, [{datetime, status, description}]."""
    return [{"datetime": iso_time(n["at"]), "status": n["status"], "description": n["description"]}
            for n in notes(case, anonymous=anonymous)]


def _request(case: Case, reader: Principal | None, *, extensions: bool = False) -> dict[str, Any]:
    category = Category.objects(code=case.category).only("name").first()
    department = Department.objects(code=case.department).only("name").first() if case.department else None
    lng, lat = case.location["coordinates"] if isinstance(case.location, dict) else case.location
    handle = (case.deadlines or {}).get("handle") or {}
    request = {
        "service_request_id": case.code,
        "status": "closed" if case.status in FINAL else "open",
        "status_notes": _status_notes(case),
        "service_name": category.name if category else None,
        "service_code": case.category,
        "description": case.description,
        "agency_responsible": department.name if department else None,
        "service_notice": None,
        "requested_datetime": iso_time(case.created_at),
        "updated_datetime": iso_time(case.updated_at),
        "expected_datetime": iso_time(handle.get("deadline")),
        "address": case.address,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        "media_url": case.media_url,
    }
    if reader is None:  # the public view: what a passer-by could tell, nothing a resident wrote
        request.update(description=None, address=grids.place_name(case.region_path), media_url=None,
                       lat=round(lat, COARSE_DIGITS), long=round(lng, COARSE_DIGITS))
    if extensions:  # Open311's extensions: the request's public steps
        request["notes"] = request_notes(case, anonymous=reader is None)
    return request


def from_gridhub_error(error: GridhubError) -> Open311Error:
    """Our own errors in GeoReport's terms (validation and workflow refusals are 400s)."""
    status = error.status if error.status in (403, 404, 429, 503) else 400
    details = error.errors.get("attributes") if isinstance(error.errors, dict) else None
    description = error.message + (f"：{details}" if details else "")
    return Open311Error(status, description, error.headers)

