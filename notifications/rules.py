"""Which event goes to whom (DESIGN §8, issue 5): event type → audiences.

Audiences are names resolved against the case by `notifications.recipients`; the texts are
Chinese, with the case code, category, address and the deadline that matters.
"""

from __future__ import annotations

from collections.abc import Mapping

# event type (a history action) -> audiences
RULES: Mapping[str, tuple[str, ...]] = {
    "dispatch": ("department_handlers", "assignee"),
    "redispatch": ("department_handlers", "assignee"),
    "reopen": ("department_handlers", "assignee"),
    "return": ("region_dispatchers",),
    "handle": ("region_dispatchers", "grid_worker"),
    "self_handle": ("region_dispatchers",),
    "verify_pass": ("reporter",),
    "evaluation.reminder": ("reporter",),
    "sla.warning": ("assignee_or_handlers",),
    "sla.overdue": ("assignee_or_handlers", "region_dispatchers", "town_supervisors"),
    "sla.escalated": ("county_supervisors",),
    "supervise": ("assignee_or_handlers", "department_heads"),
    "request_extension": ("county_supervisors",),
}

# Events that page the recipient's phone at high priority.
URGENT = frozenset({"sla.overdue", "sla.escalated", "supervise"})
# Events that also go out by SMS (to recipients with a phone): the urgent ones.
SMS = URGENT

TITLES: Mapping[str, str] = {
    "dispatch": "新派遣案件待签收",
    "redispatch": "改派案件待签收",
    "reopen": "重办案件待签收",
    "return": "案件被退回，请重新派遣",
    "handle": "案件已处置，请核查",
    "self_handle": "网格员已自行处置，请核查",
    "verify_pass": "您反映的问题已办结，请评价",
    "evaluation.reminder": "评价提醒：您反映的问题已办结，欢迎评价",
    "sla.warning": "黄牌预警：案件即将到期",
    "sla.overdue": "红牌：案件已超期",
    "sla.escalated": "案件超期升级督办",
    "supervise": "督办提醒",
    "request_extension": "延期申请待审批",
}


def audiences(event_type: str) -> tuple[str, ...]:
    return RULES.get(event_type, ())


def text(event_type: str, *, code: str, category: str, address: str | None,
         deadline: str | None, note: str | None) -> tuple[str, str]:
    """(title, body) of a notification in Chinese."""
    where = f"，地点：{address}" if address else ""
    body = f"案件 {code}（{category}）{where}"
    if deadline:
        body += f"，办理期限：{deadline}"
    if note:
        body += f"。{note}"
    return TITLES.get(event_type, "案件动态"), body
