"""常用语 (issue 19): a county's ready texts for a result, reason or note, picked by staff per
category (the 小类's first, then the 大类's, then the ones for every category)."""

from __future__ import annotations

from server.catalog.models import ReplyTemplate
from tests.factories import platform_admin, staff_of

URL = "/api/v1/reply-templates"


def template(**fields):
    return ReplyTemplate(**{"county": "371083", "field": "result", **fields}).save()


def test_a_handler_gets_the_subcategorys_texts_first_then_the_categorys_then_all(demo, as_user):
    template(category="", text="已处理完毕")
    template(category="01", text="已清理，现场恢复整洁")
    template(category="0102", text="暴露垃圾已清运，并对周边进行冲洗")
    template(category="02", text="小广告已清除")
    template(category="0102", field="reason", text="不属于本部门职责")
    texts = [t["text"] for t in as_user("handler").get(
        URL, query_string={"field": "result", "category": "0102"}).json]
    assert texts == ["暴露垃圾已清运，并对周边进行冲洗", "已清理，现场恢复整洁", "已处理完毕"]


def test_another_countys_texts_are_not_offered(demo, as_user):
    template(county="371082", text="荣成的常用语")
    assert as_user("handler").get(URL, query_string={"field": "result"}).json == []


def test_a_county_admin_adds_changes_and_removes_a_text(demo, as_user):
    admin = as_user("admin")
    created = admin.post(URL, json={"county": "371083", "field": "reason", "category": "03",
                                    "text": "经核实不属于施工扰民"})
    assert created.status_code == 201
    changed = admin.patch(f"{URL}/{created.json['id']}", json={"text": "经现场核实，不属于施工扰民"})
    assert changed.json["text"] == "经现场核实，不属于施工扰民"
    assert admin.delete(f"{URL}/{created.json['id']}").status_code == 204
    assert ReplyTemplate.objects.count() == 0


def test_an_admin_of_another_county_changes_nothing(demo, as_user):
    mine = template(text="已处理")
    other = as_user(staff_of("371082", "admin").username)
    assert other.patch(f"{URL}/{mine.id}", json={"text": "x"}).status_code == 403
    assert other.post(URL, json={"county": "371083", "field": "note", "text": "x"}).status_code == 403


def test_residents_get_no_texts_and_a_platform_admin_names_the_county(demo, as_user):
    assert as_user("resident").get(URL, query_string={"field": "note"}).status_code == 403
    answer = as_user(platform_admin().username).get(URL, query_string={"field": "note"})
    assert answer.status_code == 422 and answer.json["errors"]["reason"] == "county_required"


def test_a_bad_field_category_or_text_is_422(demo, as_user):
    admin = as_user("admin")
    for body in ({"county": "371083", "field": "rating", "text": "x"},
                 {"county": "371083", "field": "note", "category": "1", "text": "x"},
                 {"county": "371083", "field": "note", "text": ""}):
        assert admin.post(URL, json=body).status_code == 422
