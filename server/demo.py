"""The demo county: 乳山市 (Rushan, 371083) — DESIGN §10. Idempotent: safe to run twice."""

from __future__ import annotations

from bson import ObjectId

from server.auth.models import User
from server.auth.passwords import hash_password
from server.catalog import sla_presets
from server.catalog.models import Category, build_attributes
from server.grids.models import Region
from server.grids.service import bump_grids_stamp
from server.hub.models import Entry, Hall, ServiceItem
from server.organisation.models import Department

COUNTY = "371083"
DEMO_PASSWORD = "demo-password"

TOWNS = [("371083001", "城区街道"), ("371083002", "夏村镇")]
COMMUNITIES = [("371083001001", "胜利街社区"), ("371083001002", "府前路社区"),
               ("371083002001", "夏村社区")]
# grid code -> (name, west, south): each grid a 0.01° square around 36.91 N 121.53 E
GRIDS = {
    "371083001001001": ("胜利街第一网格", 121.52, 36.91),
    "371083001001002": ("胜利街第二网格", 121.53, 36.91),
    "371083001001003": ("胜利街第三网格", 121.52, 36.90),
    "371083001001004": ("胜利街第四网格", 121.53, 36.90),
    "371083001002001": ("府前路第一网格", 121.54, 36.91),
    "371083001002002": ("府前路第二网格", 121.54, 36.90),
    "371083002001001": ("夏村第一网格", 121.50, 36.91),
    "371083002001002": ("夏村第二网格", 121.50, 36.90),
}
GRID_SIZE = 0.01

# The rest of the county, generated: six more towns of four communities with twelve
# 0.005° grids each (288 grids), south-west of the town centre.
EXTRA_TOWNS = ["乳山口镇", "海阳所镇", "白沙滩镇", "大孤山镇", "南黄镇", "冯家镇"]
EXTRA_COMMUNITIES = ["一村", "二村", "三村", "四村"]
EXTRA_GRID_SIZE = 0.005

DEPARTMENTS = [
    ("371083-cgj", "乳山市城市管理局", "城管"),
    ("371083-scjgj", "乳山市市场监督管理局", "市场监管"),
    ("371083-sthjj", "威海市生态环境局乳山分局", "生态环境"),
    ("371083-yjglj", "乳山市应急管理局", "应急"),
    ("371083-zjj", "乳山市住房和城乡建设局", "住建"),
    ("371083-zfw", "中共乳山市委政法委员会", "综治"),
]

# (大类, name, [(小类, name, department, self-handle allowed)])
CATEGORIES = [
    ("01", "市容环境", [("0101", "私搭乱建", "371083-cgj", False),
                        ("0102", "暴露垃圾", "371083-cgj", True),
                        ("0103", "积存垃圾渣土", "371083-cgj", False),
                        ("0104", "道路不洁", "371083-cgj", True)]),
    ("02", "宣传广告", [("0201", "非法小广告", "371083-cgj", True),
                        ("0202", "违规张贴悬挂广告", "371083-cgj", False)]),
    ("03", "施工管理", [("0301", "施工扰民", "371083-zjj", False),
                        ("0302", "工地扬尘", "371083-sthjj", False),
                        ("0303", "道路遗撒", "371083-cgj", False)]),
    ("04", "突发事件", [("0401", "路面塌陷", "371083-zjj", False),
                        ("0402", "自来水管破裂", "371083-zjj", False),
                        ("0403", "燃气泄漏", "371083-yjglj", False)]),
    ("05", "街面秩序", [("0501", "无照经营游商", "371083-scjgj", False),
                        ("0502", "店外经营", "371083-cgj", True),
                        ("0503", "机动车乱停放", "371083-cgj", False)]),
    ("90", "民生诉求", [("9001", "噪声扰民", "371083-sthjj", False),
                        ("9002", "供水供暖", "371083-zjj", False),
                        ("9003", "物业管理", "371083-zjj", False)]),
]

# Extra questions some 小类 ask (Open311 attributes).
ATTRIBUTES = {
    "0401": [
        {"code": "area_m2", "datatype": "number", "required": True, "order": 1,
         "description": "塌陷面积（平方米）"},
        {"code": "traffic", "datatype": "singlevaluelist", "required": True, "order": 2,
         "description": "是否影响通行",
         "values": [{"key": "blocked", "name": "完全阻断"}, {"key": "partial", "name": "部分影响"},
                    {"key": "none", "name": "不影响"}]},
    ],
    "9001": [
        {"code": "period", "datatype": "singlevaluelist", "required": True, "order": 1,
         "description": "噪声时段",
         "values": [{"key": "day", "name": "白天"}, {"key": "night", "name": "夜间（22时至次日6时）"}]},
        {"code": "sources", "datatype": "multivaluelist", "required": False, "order": 2,
         "description": "噪声来源",
         "values": [{"key": "construction", "name": "施工"}, {"key": "business", "name": "商业经营"},
                    {"key": "neighbour", "name": "邻里生活"}]},
    ],
}

# The demo resident's identity at the hub's SSO (the dev identity provider issues tickets for it).
DEMO_RESIDENT_SUBJECT = "ish-demo-0001"
DEMO_RESIDENT_PHONE = "13806311234"
# Where a browser without location (or a denied permission) is placed in the demo: 胜利街第一网格.
DEMO_LOCATION = (36.915, 121.525)

USERS = [
    ("platform", "平台管理员", "platform_admin", None, None),
    ("admin", "系统管理员", "admin", COUNTY, "region"),
    ("dispatcher", "指挥中心受理员", "dispatcher", COUNTY, "region"),
    ("supervisor", "市督办员", "supervisor", COUNTY, "region"),
    ("handler", "城管局处置员", "handler", "371083-cgj", "department"),
    ("gridworker", "胜利街网格员", "grid_worker", "371083001001001", "region"),
    ("resident", "居民王女士", "resident", None, None),
]


def demo_id(kind: str, number: int) -> ObjectId:
    """A fixed id for a demo record (a user, a hub item, a case): the API's examples name them.
    "64656d6f" is "demo"; then the kind and the record's number."""
    kinds = {"user": 1, "hub_item": 2, "case": 3}
    return ObjectId(f"64656d6f{kinds[kind]:04x}{number:012x}")


def _square(west: float, south: float, size: float = GRID_SIZE) -> dict:
    west, south = round(west, 6), round(south, 6)
    east, north = round(west + size, 6), round(south + size, 6)
    return {"type": "Polygon",
            "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                             [west, south]]]}


def _region(code: str, name: str, level: str, geometry: dict | None = None,
            layers: list[dict] | None = None) -> None:
    parents = [code[:n] for n in (6, 9, 12, 15) if n < len(code)]
    Region(code=code, name=name, level=level, parent=parents[-1] if parents else None,
           path=[*parents, code], geometry=geometry or {}, layers=layers or []).save()


def _layers(workers: list[str]) -> list[dict]:
    """多网格融合: a demo grid answers for every domain through that domain's department."""
    return [{"domain": domain, "grid_workers": workers, "department": department}
            for department, _, domain in DEPARTMENTS]


def _extra_towns() -> None:
    for t, town in enumerate(EXTRA_TOWNS):
        town_code = f"{COUNTY}{t + 3:03d}"
        _region(town_code, town, "town")
        town_west, town_south = 121.30 + (t % 3) * 0.05, 36.76 + (t // 3) * 0.05
        for c, community in enumerate(EXTRA_COMMUNITIES):
            community_code = f"{town_code}{c + 1:03d}"
            _region(community_code, town.removesuffix("镇") + community, "community")
            west, south = town_west + (c % 2) * 0.022, town_south + (c // 2) * 0.017
            for g in range(12):
                _region(f"{community_code}{g + 1:03d}", f"{community}第{g + 1}网格", "grid",
                        _square(west + (g % 4) * EXTRA_GRID_SIZE,
                                south + (g // 4) * EXTRA_GRID_SIZE, EXTRA_GRID_SIZE),
                        _layers([]))


def demo_loaded() -> bool:
    """Whether the demo county is in the database (the embedded default seeds it once)."""
    return Region.objects(code=COUNTY).only("code").first() is not None


def seed_demo(*, password_hash: str | None = None, whole_county: bool = True) -> dict[str, int]:
    """Load (or refresh) the demo county; return how many of each thing it holds.

    `whole_county=False` loads only the town centre's 8 grids (what the tests need, fast).
    """
    hashed = password_hash or hash_password(DEMO_PASSWORD)
    for number, (username, name, role, org, org_kind) in enumerate(USERS, start=1):
        User.objects(username=username).update_one(
            upsert=True, set_on_insert__id=demo_id("user", number), set__name=name,
            set__role=role, set__org=org, set__org_kind=org_kind, set__password_hash=hashed,
            set__active=True)
    resident = User.objects.get(username="resident")
    resident.phone, resident.hub_subject = DEMO_RESIDENT_PHONE, DEMO_RESIDENT_SUBJECT
    resident.auth_level = 2  # real-name verified at the hub
    resident.save()
    worker = str(User.objects.get(username="gridworker").id)
    _region(COUNTY, "乳山市", "county")
    for code, name in TOWNS:
        _region(code, name, "town")
    for code, name in COMMUNITIES:
        _region(code, name, "community")
    for code, (name, west, south) in GRIDS.items():
        _region(code, name, "grid", _square(west, south),
                _layers([worker] if code == "371083001001001" else []))
    if whole_county:
        _extra_towns()
    bump_grids_stamp()
    for code, name, domain in DEPARTMENTS:
        Department(code=code, name=name, region=COUNTY, domain=domain).save()
    domains = {code: domain for code, _, domain in DEPARTMENTS}
    for code, name, children in CATEGORIES:
        Category(code=code, name=name, level=1, kind="request" if code == "90" else "event").save()
        for sub, sub_name, department, self_handle in children:
            Category(code=sub, name=sub_name, parent=code, level=2,
                     kind="request" if code == "90" else "event", domain=domains[department],
                     default_department=department, allows_self_handle=self_handle,
                     default_priority="urgent" if code == "04" else "normal",
                     attributes=build_attributes(ATTRIBUTES.get(sub, []))).save()
    sla_presets.install()
    Region.objects(code=COUNTY).update_one(set__sla_profile="szcg")
    _hub()
    return {"regions": Region.objects.count(), "departments": Department.objects.count(),
            "categories": Category.objects.count(), "users": User.objects.count(),
            "hub_items": ServiceItem.objects.count()}


# code, name, kind, provider, audiences, entry, auth level, tags
HUB_ITEMS = [
    ("report", "我要反映", "report", "乳山市城市管理局", ["person"],
     {"type": "builtin", "builtin": "report"}, 1, ["诉求", "投诉", "举报", "城市管理"]),
    ("gjj-query", "公积金查询", "query", "威海市住房公积金中心乳山管理部", ["person"],
     {"type": "miniapp", "path": "/gjj/query"}, 2, ["公积金", "余额"]),
    ("shebao-pay", "城乡居民医保缴费", "payment", "乳山市医疗保障局", ["person"],
     {"type": "miniapp", "path": "/shebao/pay"}, 2, ["医保", "社保", "缴费"]),
    ("bdc-booking", "不动产登记预约", "booking", "乳山市自然资源局", ["person", "legal_person"],
     {"type": "miniapp", "path": "/bdc/booking"}, 2, ["房产", "不动产", "预约"]),
    ("license-apply", "个体工商户开业登记", "apply", "乳山市市场监督管理局", ["legal_person"],
     {"type": "miniapp", "path": "/scjg/license"}, 3, ["营业执照", "开业"]),
    ("bus-query", "公交实时查询", "query", "乳山市交通运输局", ["person"],
     {"type": "miniapp", "path": "/bus/realtime"}, 0, ["公交", "出行"]),
]


def _hub() -> None:
    """The demo county's branch hall with a few items of each kind."""
    Hall.objects(region=COUNTY).update_one(upsert=True, set__name="乳山分厅", set__active=True,
                                           set__description="乳山市政务服务、城市管理与民生诉求")
    for order, (code, name, kind, provider, audiences, entry, level, tags) in enumerate(HUB_ITEMS):
        ServiceItem.objects(hall=COUNTY, code=code).update_one(
            upsert=True, set_on_insert__id=demo_id("hub_item", order + 1), set__name=name,
            set__kind=kind, set__provider=provider, set__audiences=audiences,
            set__entry=Entry(**entry), set__auth_level=level, set__tags=tags,
            set__order=(order + 1) * 10, set__online=True)
