"""The reporter at every step (issue 19): 受理, 不予受理, 并案, 派遣, 处置 (with the after-photo),
办结, 重办 and an approved extension each reach the reporter in plain Chinese, on the channels
they chose (/me/preferences), with nothing written for staff only."""

from __future__ import annotations

from notifications.fanout import fan_out
from server.auth.models import User
from server.cases import service
from server.cases.models import Case
from server.inbox.models import Notification
from tests.factories import CaseFactory, principal_of


def act(case_id, username, action, **payload):
    """One transition by the service, then its fan-out as the worker would run it."""
    service.apply_transition(principal=principal_of(username), case_id=case_id, action=action,
                             payload=payload)
    return fan_out(str(case_id), Case.objects.get(id=case_id).version)


def told(username="resident", channel="inbox"):
    user = User.objects.get(username=username)
    return list(Notification.objects(recipient=str(user.id), channel=channel).order_by("seq"))


def test_the_resident_is_told_at_each_step_of_the_loop(demo):
    case = CaseFactory(reporter="resident")
    act(case["id"], "dispatcher", "accept")
    act(case["id"], "dispatcher", "dispatch", department="371083-cgj")
    act(case["id"], "handler", "sign")
    act(case["id"], "handler", "handle", result="已清理完毕")
    act(case["id"], "gridworker", "verify_pass")
    assert [n.title for n in told()] == ["您反映的问题已受理", "您反映的问题已派遣办理",
                                         "您反映的问题已处置", "您反映的问题已办结，请评价"]
    accepted, dispatched, handled, closed = told()
    assert accepted.body == f"您反映的“暴露垃圾”问题（编号 {case['code']}）已受理立案，我们将尽快安排处理。"
    assert "已派遣至乳山市城市管理局办理，办理期限：" in dispatched.body
    assert "已处置：已清理完毕" in handled.body and "欢迎对办理结果进行评价" in closed.body


def test_a_rejected_report_is_told_with_its_reason(demo):
    case = CaseFactory(reporter="resident")
    act(case["id"], "dispatcher", "reject", reason="不属于城市管理范围")
    notice, = told()
    assert notice.title == "您反映的问题未予受理" and "原因：不属于城市管理范围" in notice.body


def test_a_merged_report_is_told_the_code_of_the_case_it_joined(demo):
    primary = CaseFactory(accepted=True)
    case = CaseFactory(reporter="resident")
    act(case["id"], "dispatcher", "merge", primary=primary["id"])
    notice, = told()
    assert notice.title == "您反映的问题已并案办理" and f"可凭编号 {primary['code']} 查询进度" in notice.body


def test_the_handlers_after_photo_comes_with_the_handled_message(demo):
    from server.cases import attachments
    from tests.api.test_attachments import image_bytes

    case = CaseFactory(reporter="resident", in_progress=True)
    photo = str(attachments.store(owner=principal_of("handler").key, data=image_bytes()).id)
    act(case["id"], "handler", "handle", result="已修复", attachments=[photo])
    notice, = told()
    assert notice.data["photo"] == photo


def test_a_reopened_case_and_an_approved_extension_are_told_with_the_new_deadline(demo):
    case = CaseFactory(reporter="resident", in_progress=True)
    act(case["id"], "handler", "request_extension", reason="需采购配件", duration_wd=3)
    act(case["id"], "supervisor", "approve_extension")
    notice = told()[-1]
    deadline = Case.objects.get(id=case["id"]).deadlines["handle"]["deadline"]
    from server.timeutil import moment_label

    assert notice.title == "您反映的问题办理期限已延长"
    assert notice.body.endswith(f"办理期限延长至{moment_label(deadline)}。")
    assert "需采购配件" not in notice.body  # the handler's reason is the back office's


def test_a_staff_note_never_reaches_the_reporter(demo):
    case = CaseFactory(reporter="resident", accepted=True)
    act(case["id"], "dispatcher", "dispatch", department="371083-cgj",
        note="内部：该户多次重复投诉", note_visibility="internal")
    notice, = told()
    assert "内部" not in notice.body and "重复投诉" not in notice.body and "指挥中心" not in notice.body


def test_a_grid_worker_who_reported_gets_the_verification_task_not_the_step(demo):
    case = CaseFactory(in_progress=True)  # reported by the grid worker
    act(case["id"], "handler", "handle", result="已清理")
    assert [n.title for n in told("gridworker")] == ["案件已处置，请核查"]


def test_a_resident_who_turned_the_inbox_off_gets_no_inbox_message(demo, as_user):
    answer = as_user("resident").put("/api/v1/me/preferences", json={"case_updates": {"inbox": False}})
    assert answer.json == {"case_updates": {"inbox": False, "push": True, "sms": False}}
    case = CaseFactory(reporter="resident")
    act(case["id"], "dispatcher", "accept")
    assert told() == []


def test_an_sms_goes_to_a_reporter_who_asked_for_it_only_when_the_case_is_urgent(demo, as_user):
    as_user("resident").put("/api/v1/me/preferences", json={"case_updates": {"sms": True}})
    normal, urgent = CaseFactory(reporter="resident"), CaseFactory(reporter="resident", category="0402")
    act(normal["id"], "dispatcher", "accept")
    act(urgent["id"], "dispatcher", "accept")
    assert [n.case for n in told(channel="sms")] == [urgent["id"]]


def test_preferences_start_with_inbox_and_push_on_and_sms_off(demo, as_user):
    assert as_user("resident").get("/api/v1/me/preferences").json == {
        "case_updates": {"inbox": True, "push": True, "sms": False}}


def test_a_preference_for_an_unknown_channel_or_of_the_wrong_type_is_422(demo, as_user):
    for body in ({"case_updates": {"wechat": True}}, {"case_updates": {"sms": "yes"}}, {}):
        answer = as_user("resident").put("/api/v1/me/preferences", json=body)
        assert answer.status_code == 422 and answer.json["errors"]["reason"] == "validation_error"
