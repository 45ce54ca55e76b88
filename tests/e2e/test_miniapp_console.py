"""What a 城管 or 街道 buyer sees first (issue 20): deadlines told in the limit's unit, names
instead of codes, a map, photos that open, badges that follow the work, and the small things
(a way back, a lapsed session, Chinese validation, 360 px phones, labelled controls).
Screenshots in test-artifacts/miniapp/."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from server.cases import attachments
from tests.e2e.conftest import until
from tests.factories import CaseFactory, principal_of


def photo_of(owner: str, colour) -> str:
    """A stored 1200×900 photo uploaded by `owner` (not yet on a case)."""
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(buffer, "JPEG")
    return str(attachments.store(owner=principal_of(owner).key, data=buffer.getvalue()).id)




def open_case(phone, case_id):
    phone.page.evaluate(f"location.hash = 'case/{case_id}'")
    phone.page.locator(".kv").wait_for()


def test_the_board_rows_say_which_case_with_the_time_left_in_the_limits_unit(phones):
    CaseFactory(description="胜利街12号门前井盖破损，夜间有行人绊倒的危险", accepted=True)
    CaseFactory(category="0301", description="夜间施工噪声扰民", priority="urgent", dispatched=True)
    supervisor = phones("supervisor", user="supervisor")
    rows = supervisor.page.locator(".board-row")
    rows.nth(1).wait_for()
    text = supervisor.page.locator(".board").inner_text()
    assert "胜利街12号门前井盖破损" in text and "胜利街第一网格" in text and "371083001" not in text
    assert "网格员上报" in text and "紧急" in text
    times = [t.inner_text() for t in supervisor.page.locator(".board-row .time-left").all()]
    told = re.compile(r"((剩余|超期) [\d.]+ (个工作日|个工作小时|小时|分钟|天)(（工作时间）)?"
                      r"|已超期|即将到期)（截止 \d\d月\d\d日 \d\d:\d\d）")
    assert all(told.fullmatch(t) for t in times), times
    supervisor.shot("20-supervisor-board")
    supervisor.page.select_option("select[name=priority]", "urgent")
    supervisor.page.locator(".board h2 .muted").filter(has_text="（1）").wait_for()
    assert "夜间施工噪声" in rows.first.inner_text()


def test_the_supervisors_map_draws_the_grids_and_the_open_cases_by_light(phones):
    CaseFactory(accepted=True)
    supervisor = phones("supervisor#map", user="supervisor")
    supervisor.page.locator(".board-map[data-drawn]").wait_for()
    # the grids, the hot spot of the case's grid, and the case
    assert supervisor.page.locator(".board-map path.leaflet-interactive").count() >= 3
    assert supervisor.page.locator(".board-map .grid-label").filter(has_text="胜利街第一网格").count() == 1
    supervisor.shot("21-supervisor-map")


def test_a_case_page_names_its_place_shows_the_code_on_demand_and_a_map(phones):
    case = CaseFactory(dispatched=True)
    dispatcher = phones("dispatcher", user="dispatcher")
    open_case(dispatcher, case["id"])
    grid = dispatcher.page.locator("dd.grid-name")
    assert grid.inner_text().strip() == "胜利街第一网格"
    grid.locator("summary").click()
    assert case["grid"] in grid.inner_text()
    details = dispatcher.page.locator(".kv").inner_text()
    assert "城市管理局" in details and "371083-cgj" not in details
    clocks = dispatcher.page.locator(".deadlines").inner_text()
    assert re.search(r"(签收|处置)时限.*（截止 \d\d月\d\d日 \d\d:\d\d）", clocks, re.S)
    dispatcher.page.locator(".case-map[data-drawn='2']").wait_for()  # the grid polygon and the point
    dispatcher.shot("22-dispatcher-case-names-map")


def test_before_and_after_photos_open_full_size_side_by_side_and_swipe(phones):
    before = photo_of("gridworker", (200, 60, 60))
    after = photo_of("handler", (60, 160, 60))
    case = CaseFactory(in_progress=True, attachments=[before])
    from server.cases import service  # the handler sends the result back with the after-photo
    service.apply_transition(principal=principal_of("handler"), case_id=case["id"], action="handle",
                             payload={"result": "已修复", "attachments": [after]})
    worker = phones("worker", user="gridworker")
    open_case(worker, case["id"])
    compare = worker.page.locator(".photo-compare")
    assert compare.locator(".photo-group[data-stage=before]").inner_text().startswith("上报照片")
    assert compare.locator(".photo-group[data-stage=after]").inner_text().startswith("处置照片")
    worker.page.locator(".case-map[data-drawn]").wait_for()  # the screenshot shows the map
    worker.shot("23-worker-verify-before-after")
    worker.page.click(f"button.thumb[data-photo='{before}']")
    viewer = worker.page.locator(".viewer")
    until(worker, "document.querySelector('.viewer img.full').naturalWidth > 1000")
    assert "上报 · 1 / 2" in viewer.inner_text()
    worker.page.click(".viewer button[data-zoom=in]")
    assert "scale(1.5)" in worker.page.get_attribute(".viewer img.full", "style")
    worker.page.screenshot(path=str(worker.shots / "24-photo-viewer.png"))  # the screen as seen
    worker.page.keyboard.press("ArrowRight")
    assert viewer.get_attribute("data-photo") == after and "处置 · 2 / 2" in viewer.inner_text()
    worker.page.keyboard.press("Escape")
    assert worker.page.locator(".viewer").count() == 0


def test_the_resident_sees_their_photo_and_the_handlers_after_photo(phones):
    before = photo_of("resident", (200, 60, 60))
    after = photo_of("handler", (60, 160, 60))
    case = CaseFactory(reporter="resident", in_progress=True, attachments=[before])
    from server.cases import service
    service.apply_transition(principal=principal_of("handler"), case_id=case["id"], action="handle",
                             payload={"result": "已修复", "attachments": [after]})
    resident = phones(f"resident#case/{case['id']}")
    resident.page.locator(".photo-compare .photo-group[data-stage=after] img[src]").wait_for()
    assert resident.page.locator(".photo-compare img[src]").count() == 2
    resident.page.locator(".case-map[data-drawn]").wait_for()
    resident.shot("25-resident-photos")


def test_badges_follow_an_action_without_reloading(phones):
    cases = [CaseFactory(), CaseFactory()]
    dispatcher = phones("dispatcher", user="dispatcher")
    badge = dispatcher.page.locator("nav.tabs button[data-hash=''] .badge")
    badge.filter(has_text="2").wait_for()
    open_case(dispatcher, cases[0]["id"])
    dispatcher.act("accept")
    badge.filter(has_text="1").wait_for()
    dispatcher.page.locator("nav.tabs button[data-hash=accepted] .badge").filter(has_text="1").wait_for()


def test_a_list_is_read_again_when_the_page_comes_back_into_view(phones):
    dispatcher = phones("dispatcher", user="dispatcher")
    dispatcher.page.locator(".empty").filter(has_text="暂无待受理").wait_for()
    case = CaseFactory()  # filed while the phone was in a pocket
    dispatcher.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    dispatcher.page.locator(f".item[data-code='{case['code']}']").wait_for()


def test_a_staff_sign_in_has_a_way_back_to_the_role_list(phones):
    handler = phones("handler")
    handler.page.click("a.back")
    handler.page.wait_for_url("**/miniapp/index.html")


def test_an_empty_sign_in_is_told_in_chinese_by_the_app(phones):
    handler = phones("handler")
    handler.page.click("form button[type=submit]")
    handler.page.locator(".notice.error").filter(has_text="请输入用户名").wait_for()
    assert handler.page.evaluate("document.querySelector('form').noValidate")


def test_a_lapsed_session_asks_to_sign_in_again(phones):
    handler = phones("handler", user="handler")
    handler.page.evaluate("localStorage.setItem('gridhub.handler.session',"
                          " JSON.stringify({access: 'lapsed', refresh: null}))")
    handler.page.reload()
    handler.page.locator(".notice.error").filter(has_text="登录已过期，请重新登录").wait_for()


def test_a_session_lapsing_while_the_page_is_open_signs_in_again(phones):
    handler = phones("handler", user="handler")
    handler.page.evaluate("localStorage.setItem('gridhub.handler.session',"
                          " JSON.stringify({access: 'lapsed', refresh: null}))")
    handler.page.evaluate("""import('./js/api.js').then(({ Session }) =>
        new Session('handler').get('/cases').catch(() => null))""")
    handler.page.locator(".notice.error").filter(has_text="登录已过期，请重新登录").wait_for()


UNNAMED = """[...document.querySelectorAll('input, select, textarea, button, [role=button], [role=link]')]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.textContent.trim() && !el.getAttribute('placeholder'))
  .map((el) => el.outerHTML.slice(0, 80))"""


@pytest.mark.parametrize(("page", "user", "ready"), [
    ("supervisor", "supervisor", ".board"), ("supervisor#stats", "supervisor", ".indicators"),
    ("dispatcher", "dispatcher", ".card h2"), ("handler", "handler", ".card h2"),
    ("worker", "gridworker", "form.report select[name=category]"), ("resident", None, ".all-items"),
])
def test_every_page_fits_a_360_pixel_phone_and_labels_each_control(browser, live_server, page, user, ready):
    from tests.e2e.conftest import ARTIFACTS, Phone

    CaseFactory(accepted=True)
    phone = Phone(browser, live_server, ARTIFACTS)
    try:
        phone.page.set_viewport_size({"width": 360, "height": 740})
        phone.open(page)
        if user:
            phone.sign_in(user)
        phone.page.locator(ready).first.wait_for()
        phone.page.wait_for_timeout(200)
        assert phone.page.evaluate("document.documentElement.scrollWidth") <= 360
        assert phone.page.evaluate(UNNAMED) == []
        phone.shot(f"26-360px-{page.replace('#', '-')}")
    finally:
        phone.close()


def test_a_resident_shown_the_same_problem_nearby_follows_it_instead_of_filing(phones):
    from server.cases.models import Case

    case = CaseFactory()  # the grid worker's, at the demo location
    resident = phones("resident#report")
    resident.page.select_option("select[name=category]", "0102")
    resident.page.fill("textarea[name=description]", "路边有垃圾")
    resident.page.locator(".location").filter(has_text="胜利街第一网格").wait_for()
    resident.page.click("form.report button[type=submit]")
    resident.page.click(".duplicates button[data-follow]")
    resident.page.locator(".toast").filter(has_text="已关注").wait_for()
    resident.shot("27-resident-follows-instead")
    stored = Case.objects.get(id=case["id"])
    assert stored.follower_count == 1 and Case.objects.count() == 1


def test_a_dissatisfied_evaluation_shows_as_a_callback_the_supervisor_closes(phones):
    from server.cases import service
    from server.cases.models import Callback

    case = CaseFactory(reporter="resident", closed=True)
    service.apply_transition(principal=principal_of("resident"), case_id=case["id"], action="evaluate",
                             payload={"rating": "dissatisfied", "note": "垃圾又堆起来了"})
    supervisor = phones("supervisor#callbacks", user="supervisor")
    supervisor.page.locator("nav.tabs button[data-hash=callbacks] .badge").filter(has_text="1").wait_for()
    task = supervisor.page.locator(".callback")
    assert "垃圾又堆起来了" in task.inner_text() and case["code"] in task.inner_text()
    supervisor.shot("28-supervisor-callbacks")
    task.locator("textarea[name=note]").fill("已电话说明，已安排每日清运")
    task.locator("button[data-outcome=explained]").click()
    supervisor.page.locator(".empty").filter(has_text="暂无待回访").wait_for()
    assert Callback.objects.get().outcome == "explained"


def test_a_handler_picks_a_reply_template_for_the_result(phones):
    from server.cases.models import Case
    from server.catalog.models import ReplyTemplate

    ReplyTemplate(county="371083", field="result", category="0102",
                  text="暴露垃圾已清运，并对周边进行冲洗").save()
    case = CaseFactory(in_progress=True)
    handler = phones("handler", user="handler")
    open_case(handler, case["id"])
    handler.page.click("button[data-action=handle]")
    handler.page.select_option("form.sheet select[name=result-reply]", "暴露垃圾已清运，并对周边进行冲洗")
    handler.shot("29-handler-reply-template")
    handler.page.click("button[data-confirm=handle]")
    handler.page.locator(".toast").filter(has_text="成功").wait_for()
    assert Case.objects.get(id=case["id"]).result == "暴露垃圾已清运，并对周边进行冲洗"


def test_a_resident_turns_on_sms_for_urgent_updates_on_the_my_requests_page(phones):
    from server.auth.models import User

    resident = phones("resident#mine")
    resident.page.locator(".preferences input[name=sms]").check()
    resident.page.locator(".toast").filter(has_text="已开启").wait_for()
    resident.shot("30-resident-preferences")
    assert "sms" in User.objects.get(username="resident").case_update_channels


def test_the_dispatcher_exports_the_case_list_as_an_excel_file(phones, tmp_path):
    from openpyxl import load_workbook

    case = CaseFactory()
    dispatcher = phones("dispatcher#all", user="dispatcher")
    with dispatcher.page.expect_download() as download:
        dispatcher.page.click("button.export")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    sheet = load_workbook(path).active
    assert path.suffix == ".xlsx" and sheet.cell(row=2, column=1).value == case["code"]


def test_a_resident_sees_the_cases_they_follow_and_stops_following_one(phones):
    from server.cases import following
    from server.cases.models import Case

    case = CaseFactory(accepted=True)  # the grid worker's report the resident said "me too" to
    following.follow(principal=principal_of("resident"), ref=following.follow_ref(case["id"]))
    resident = phones("resident#mine")
    item = resident.page.locator(f".follows .item[data-code='{case['code']}']")
    assert "暴露垃圾" in item.inner_text() and "已立案" in item.inner_text()
    resident.shot("31-resident-follows")
    item.locator("button[data-unfollow]").click()
    resident.page.locator(".toast").filter(has_text="已取消关注").wait_for()
    resident.page.locator(".follows .empty").wait_for()
    assert Case.objects.get(id=case["id"]).follower_count == 0


def test_the_supervisors_map_draws_todays_patrol_and_where_the_worker_is(phones):
    from datetime import timedelta

    from server.patrols import service
    from tests.clock import from_now

    worker = principal_of("gridworker")
    patrol = service.start(principal=worker)  # now: today's, whatever the hour
    t0 = from_now(minutes=-4)  # a phone a little behind the server's clock
    service.add_points(principal=worker, patrol_id=patrol["id"], key="walk", points=[
        {"lat": 36.915, "lng": round(121.5225 + 0.001 * i, 4), "coord_system": "wgs84",
         "accuracy_m": 8.0, "at": t0 + timedelta(seconds=20 * i)} for i in range(10)])
    supervisor = phones("supervisor#map", user="supervisor")
    supervisor.page.locator(".board-map[data-drawn]").wait_for()
    label = supervisor.page.locator(".board-map .worker-label")
    assert "胜利街网格员 巡查中" in label.inner_text()
    assert supervisor.page.locator(".board-map path[stroke='#7b3fe4']").count() >= 1
    supervisor.shot("32-supervisor-map-patrols")
