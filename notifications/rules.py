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
    "verify_pass": (),  # the reporter: REPORTER_STEPS
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


# The reporter (and each follower) at every step (issue 19): event -> (title, body). Plain
# Chinese, told from their side, with only what is written for them: the case's own code and
# category, the reason a report was not accepted, the department it went to, the result, a new
# deadline — never a staff member's name or note, nor anyone else's personal data.
REPORTER_STEPS: Mapping[str, tuple[str, str]] = {
    "accept": ("{whose}问题已受理",
               "{whose}“{category}”问题（编号 {code}）已受理立案，我们将尽快安排处理。"),
    "reject": ("{whose}问题未予受理",
               "{whose}“{category}”问题（编号 {code}）未予受理，原因：{reason}。如有疑问，可重新反映。"),
    "merge": ("{whose}问题已并案办理", "{whose}“{category}”问题（编号 {code}）与案件 {primary_code} "
              "为同一问题，已并入该案件一并办理，可凭编号 {primary_code} 查询进度。"),
    "dispatch": ("{whose}问题已派遣办理",
                 "{whose}“{category}”问题（编号 {code}）已派遣至{department}办理{deadline_clause}。"),
    "redispatch": ("{whose}问题已改派",
                   "{whose}“{category}”问题（编号 {code}）已改由{department}办理{deadline_clause}。"),
    "handle": ("{whose}问题已处置", "{whose}“{category}”问题（编号 {code}）已处置：{result}。"
               "处置结果核查后即办结。"),
    "self_handle": ("{whose}问题已处置", "{whose}“{category}”问题（编号 {code}）已处置：{result}。"
                    "处置结果核查后即办结。"),
    "verify_pass": ("{whose}问题已办结，请评价",
                    "{whose}“{category}”问题（编号 {code}）已办结，欢迎对办理结果进行评价。"),
    "reopen": ("{whose}问题已重新办理", "{whose}“{category}”问题（编号 {code}）已重新交办处理。"),
    "approve_extension": ("{whose}问题办理期限已延长",
                          "{whose}“{category}”问题（编号 {code}）因处置需要，办理期限延长至{deadline}。"),
}


def reporter_text(event_type: str, *, follower: bool = False,
                  **values: str | None) -> tuple[str, str] | None:
    """(title, body) of a step message to the reporter — or to a follower (附议), told as the
    case they follow — or None if this event tells them nothing. `values`: code, category,
    and what the event's template names."""
    template = REPORTER_STEPS.get(event_type)
    if template is None:
        return None
    deadline = values.get("deadline")
    filled = {k: v or "—" for k, v in values.items()}
    filled["deadline_clause"] = f"，办理期限：{deadline}" if deadline else ""
    filled["whose"] = "您关注的" if follower else "您反映的"
    return template[0].format_map(filled), template[1].format_map(filled)


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
