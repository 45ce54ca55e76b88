"""A resident's view of a case: its progress in plain Chinese (受理、派遣、处置、结案 with times)
— what happened to their request, without the back office's internal traffic (SLA cards,
supervision, extension requests; an approved extension is told with its new deadline)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from mongoengine import Q

from server.auth.principals import Principal
from server.cases.models import Case
from server.cases.scope import scope_filter
from server.cases.workflow import policy, snapshot
from server.errors import found
from server.organisation.models import Department
from server.timeutil import aware, moment_label, now_utc
from workflows.case_machine import allowed_actions
from workflows.case_table import FINAL_STATES
from workflows.visibility import public_entry

STAGES = (("accept", "受理"), ("dispatch", "派遣"), ("handle", "处置"), ("close", "结案"))
# history action -> the stage it completes
STAGE_OF = {"accept": "accept", "reject": "close", "merge": "close", "cancel": "close",
            "dispatch": "dispatch", "redispatch": "dispatch", "handle": "handle",
            "self_handle": "handle", "verify_pass": "close"}
FINAL = frozenset(state.value for state in FINAL_STATES)


def _department(code: str | None) -> str:
    department = Department.objects(code=code).only("name").first() if code else None
    return department.name if department else "处置部门"


def public_text(entry: dict[str, Any]) -> str | None:
    """One plain sentence for a public entry (`public_entry`), or None."""
    payload = entry.get("payload") or {}
    action = entry.get("action")
    texts = {
        "report": "您的诉求已提交，等待受理",
        "accept": "已受理，正在安排处置部门",
        "reject": f"不予受理：{payload.get('reason', '')}".rstrip("："),
        "cancel": "诉求已撤销",
        "merge": "与他人反映的同一问题合并办理",
        "dispatch": f"已派遣至{_department(payload.get('department'))}",
        "redispatch": f"已改派至{_department(payload.get('department'))}",
        "sign": "处置部门已签收，正在处理",
        "return": "正在重新安排处置部门",
        "suspend": "因客观原因暂缓办理",
        "resume": "恢复办理",
        "handle": f"已处置：{payload.get('result', '')}".rstrip("："),
        "self_handle": f"网格员已现场处置：{payload.get('result', '')}".rstrip("："),
        "verify_fail": "核查未通过，正在返工处理",
        "verify_pass": "经核查问题已解决，诉求办结",
        "evaluate": "您已评价，感谢参与",
        "reopen": "诉求已重新办理",
        "approve_extension": f"因处置需要，办理期限延长至{moment_label(payload['deadline'])}"
        if payload.get("deadline") else "因处置需要，办理期限已延长",
    }
    return texts.get(action)


def timeline(*, principal: Principal, case_id: ObjectId) -> dict[str, Any]:
    case = found(Case.objects(Q(id=case_id) & scope_filter(principal)).first(), "案件不存在")
    done: dict[str, datetime] = {}
    events = []
    for entry in filter(None, map(public_entry, case.history)):
        stage = STAGE_OF.get(entry.get("action"))
        if stage:
            done[stage] = entry["at"]
        if entry.get("action") in ("reopen", "verify_fail"):  # back to handling
            for key in ("handle", "close"):
                done.pop(key, None)
        text = public_text(entry)
        if text and entry["note"] and entry["action"] != "evaluate":  # a note staff wrote for them
            text = f"{text}（{entry['note']}）"
        if text:
            events.append({"at": entry["at"], "action": entry["action"], "text": text})
    rules = policy()
    can_evaluate = "evaluate" in allowed_actions(snapshot(case), principal.actor(), now=now_utc(),
                                                 policy=rules)
    return {
        "id": str(case.id), "code": case.code, "status": case.status,
        "finished": case.status in FINAL,
        "stages": [{"key": key, "label": label, "done": key in done, "at": done.get(key)}
                   for key, label in STAGES],
        "events": events[::-1],  # newest first, as a phone shows it
        "can_evaluate": can_evaluate,
        "evaluate_until": rules.evaluation_until(aware(case.closed_at)),
        "evaluation": case.evaluation,
    }
