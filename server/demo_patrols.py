"""The demo grid worker's last week (issue 18): patrols with tracks, check-ins, work logs and
visits on each working day of the seven days before today, generated (seeded by the day, so the
same every time) and written through the services, as the phone would have — so the map and the
assessment show something on first start."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from server.catalog.calendars import calendar_for
from server.demo import COUNTY
from server.demo_cases import _principal
from server.patrols import checkins, records, service
from server.patrols.models import Patrol
from server.timeutil import SHANGHAI, now_utc

# A loop around 胜利街第一网格 (121.52–121.53 E, 36.91–36.92 N), dipping into the second grid.
CORNERS = [(121.5215, 36.9115), (121.5285, 36.9115), (121.5330, 36.9140), (121.5285, 36.9185),
           (121.5215, 36.9185), (121.5215, 36.9115)]
VISITS = [("王奶奶家（独居）", "胜利街8号2单元", "独居老人", "身体状况良好，已提醒冬季用电安全"),
          ("胜利街菜市场", None, "安全隐患", "消防通道有杂物堆放，已督促清理"),
          ("李家与赵家（邻里纠纷）", "胜利街15号", "矛盾纠纷", "因漏水引发纠纷，已协调物业上门维修"),
          ("社区居民", None, "政策宣传", "宣传城乡居民医保缴费政策")]
STEP_S = 30


def _walk(rng: random.Random, start: datetime) -> list[dict]:
    """A morning's positions: along the loop, one every 30 s, a few metres of GPS noise."""
    points, at = [], start
    for (lng1, lat1), (lng2, lat2) in zip(CORNERS, CORNERS[1:], strict=False):
        steps = 30
        for i in range(steps):
            f = i / steps
            points.append({"lat": round(lat1 + (lat2 - lat1) * f + rng.uniform(-2e-5, 2e-5), 6),
                           "lng": round(lng1 + (lng2 - lng1) * f + rng.uniform(-2e-5, 2e-5), 6),
                           "accuracy_m": round(rng.uniform(4, 15), 1), "coord_system": "wgs84",
                           "at": at})
            at += timedelta(seconds=STEP_S)
    return points


def seed_demo_week(*, now: datetime | None = None) -> dict[str, int]:
    """Once: nothing is added if the demo grid worker has patrols already."""
    worker = _principal("gridworker")
    if Patrol.objects(worker=worker.id).only("id").first() is not None:
        return {}
    now = now or now_utc()
    calendar = calendar_for(COUNTY)
    today = now.astimezone(SHANGHAI).date()
    counts = {"patrols": 0, "checkins": 0, "worklogs": 0, "visits": 0}
    for back in range(7, 0, -1):
        day = today - timedelta(days=back)
        if not calendar.is_workday(day):
            continue
        rng = random.Random(day.toordinal())
        morning = datetime.combine(day, time(9, rng.randrange(0, 20)), SHANGHAI)
        checkins.check_in(principal=worker, data={"lat": 36.9150, "lng": 121.5250,
                                                  "coord_system": "wgs84", "accuracy_m": 8.0},
                          now=morning - timedelta(minutes=5))
        patrol = service.start(principal=worker, now=morning)
        points = _walk(rng, morning + timedelta(minutes=1))
        for n in range(0, len(points), 50):
            batch = points[n:n + 50]
            service.add_points(principal=worker, patrol_id=patrol["id"], key=f"demo-{day}-{n}",
                               points=batch, now=batch[-1]["at"] + timedelta(seconds=20))
        service.end(principal=worker, patrol_id=patrol["id"],
                    now=points[-1]["at"] + timedelta(minutes=2))
        subject, address, purpose, notes = VISITS[back % len(VISITS)]
        visited = morning + timedelta(hours=2)
        records.file_visit(principal=worker, data={
            "subject": subject, "address": address, "purpose": purpose, "notes": notes,
            "location": {"lat": 36.9160, "lng": 121.5240, "coord_system": "wgs84"},
            "visited_at": visited}, idempotency_key=f"demo-visit-{day}", now=visited)
        records.put_log(principal=worker, day=day, data={
            "text": f"上午巡查胜利街一带，走访{subject}（{purpose}）。{notes}。",
            "patrols": [patrol["id"]]}, now=morning + timedelta(hours=8))
        counts["patrols"] += 1
        counts["checkins"] += 1
        counts["visits"] += 1
        counts["worklogs"] += 1
    return counts
