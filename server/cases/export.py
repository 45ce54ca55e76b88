"""The case list as a file (issue 19): the list's filters, CSV (streamed) or XLSX, at most
MAX_ROWS rows, each case as the caller may read it (the reporter masked without `pii:read`),
every cell inert (server/extensions/tables.py)."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import IO, Any

from server.auth.permissions import STAFF, require_roles
from server.auth.principals import Principal
from server.cases import reading
from server.cases.models import Case
from server.cases.presenting import reporter_of
from server.catalog import service as catalog
from server.errors import Unprocessable
from server.extensions import tables
from server.organisation import names
from server.timeutil import SHANGHAI, aware, now_utc
from workflows.case_table import SOURCE_LABELS, STATE_LABELS, State

MAX_ROWS = 100_000
PRIORITY_LABELS = {"normal": "一般", "urgent": "紧急"}
HEADERS = ["编号", "状态", "类别", "紧急程度", "来源", "问题描述", "地址", "镇街", "社区", "网格",
           "处置部门", "上报人", "联系电话", "上报时间", "受理时间", "派遣时间", "处置时间", "结案时间",
           "处置期限", "是否超期"]


def _when(moment: Any) -> str:
    return aware(moment).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def _row(case: Case, principal: Principal, now: datetime) -> list[Any]:
    category = catalog.find(code=case.category)
    places = names.places(case.region_path, case.grid)
    reporter = reporter_of(case, principal)
    handle = (case.deadlines or {}).get("handle") or {}
    deadline = aware(handle.get("deadline"))
    overdue = handle.get("on_time") is False or (
        deadline is not None and handle.get("ended_at") is None and now >= deadline)
    return [case.code, STATE_LABELS[State(case.status)], category.name if category else case.category,
            PRIORITY_LABELS.get(case.priority, case.priority), SOURCE_LABELS.get(case.source, case.source),
            case.description, case.address or "",
            *[(places[level] or {}).get("name", "") for level in ("town", "community", "grid")],
            names.department(case.department) or "", reporter["name"] or "", reporter["phone"] or "",
            _when(case.created_at), _when(case.accepted_at), _when(case.dispatched_at),
            _when(case.handled_at), _when(case.closed_at), _when(deadline), "是" if overdue else "否"]


def export_cases(*, principal: Principal, filters: dict[str, Any],
                 fmt: str) -> tuple[IO[bytes], str, str]:
    """(file, mimetype, filename): the visible cases matching `filters`, newest first, read
    from the database in batches into a spooled file the answer streams."""
    require_roles(principal, *STAFF)
    queryset = reading.list_cases(principal=principal, filters=filters).queryset
    total = queryset.count()
    if total > MAX_ROWS:
        raise Unprocessable(f"导出最多 {MAX_ROWS} 行，当前条件共 {total} 行，请缩小上报时间范围"
                            "（created_from / created_to）或增加筛选条件", reason="too_many_rows",
                            rows=total, max_rows=MAX_ROWS)
    now = now_utc()
    rows = (_row(case, principal, now) for case in queryset.no_cache().batch_size(500))
    stem = f"gridhub-cases-{now.astimezone(SHANGHAI):%Y%m%d-%H%M}"
    body = tables.spooled(itertools.chain([HEADERS], rows), fmt, title="案件")
    return body, tables.XLSX if fmt == "xlsx" else tables.CSV, f"{stem}.{fmt}"
