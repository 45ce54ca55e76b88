"""The closed loop (受理、分拨、处置、督办、结案) done by clicking in the mini-app's pages, one phone
per role, with a screenshot of each role's page mid-loop in test-artifacts/miniapp/."""

from __future__ import annotations

import time

from server.cases.models import Case
from server.inbox.models import Notification

REPORT_TEXT = "胜利街菜市场东门口堆放生活垃圾，已有异味"


def wait_until(phone, check, refresh, timeout=20.0):
    """Click `refresh` until `check()` is true (alerts arrive through the worker)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting for the page"
        phone.page.wait_for_timeout(300)
        refresh()


def case_code(phone):
    return phone.page.locator(".kv dd").first.inner_text()


def test_the_loop_closes_in_the_pages_with_the_residents_evaluation(phones, alerts, photo_file):
    # 居民: the hall, 我要反映 with a photo and the phone's location
    resident = phones("resident")
    resident.page.locator(".all-items .hub-item").first.wait_for()
    resident.shot("01-resident-hall")
    resident.page.click(".all-items .hub-item[data-code=report]")
    resident.page.select_option("select[name=category]", "0102")
    resident.page.fill("textarea[name=description]", REPORT_TEXT)
    resident.photo("form.report .photos .add", photo_file)
    resident.page.locator(".location").filter(has_text="胜利街第一网格").wait_for()
    resident.shot("02-resident-report")
    resident.page.click("form.report button[type=submit]")
    code = resident.page.locator(".reported .case-code").inner_text()
    resident.shot("03-resident-reported")
    resident.page.click(".reported button")
    resident.page.locator(".timeline").filter(has_text="您的诉求已提交").wait_for()

    # 指挥中心: accept, then dispatch to the suggested department
    dispatcher = phones("dispatcher", user="dispatcher")
    dispatcher.page.locator(f".item[data-code='{code}']").wait_for()
    dispatcher.shot("04-dispatcher-queue")
    dispatcher.page.click(f".item[data-code='{code}']")
    dispatcher.act("accept")
    dispatcher.page.click("button[data-action=dispatch]")
    assert dispatcher.page.input_value("form.sheet select[name=department]") == "371083-cgj"
    dispatcher.shot("05-dispatcher-dispatch")
    dispatcher.page.click("button[data-confirm=dispatch]")
    dispatcher.page.locator(".tag").filter(has_text="已派遣").wait_for()

    # 网格员: about to report the same rubbish, the nearby check shows the resident's case
    worker = phones("worker", user="gridworker")
    worker.page.select_option("select[name=category]", "0102")
    worker.page.fill("textarea[name=description]", "菜市场门口有垃圾")
    worker.page.locator(".location").filter(has_text="胜利街第一网格").wait_for()
    worker.page.click("form.report button[type=submit]")
    worker.page.locator(".duplicates").filter(has_text=code).wait_for()
    worker.shot("06-worker-duplicate-check")

    # 处置人员: the dispatch alert in the inbox, sign, and later handle with a photo
    handler = phones("handler", user="handler")
    handler.tab("消息")
    alert = handler.page.locator(".inbox .item").filter(has_text=code)
    wait_until(handler, lambda: alert.count() > 0, lambda: handler.tab("消息"))
    handler.shot("07-handler-inbox")
    alert.first.click()
    handler.act("sign")

    # 督办: the running case on the board with its light, pressed (督办)
    supervisor = phones("supervisor", user="supervisor")
    row = supervisor.page.locator(".board .item").filter(has_text=code)
    row.wait_for()
    assert row.get_attribute("data-light") == "green"
    supervisor.shot("08-supervisor-board")
    row.click()
    supervisor.act("supervise", note="请加快处置，今日内反馈")

    handler.page.reload()
    handler.page.click("button[data-action=handle]")
    handler.page.fill("form.sheet [name=result]", "已清运垃圾并冲洗地面")
    handler.photo("form.sheet .photos .add", photo_file)
    handler.shot("09-handler-handle")
    handler.page.click("button[data-confirm=handle]")
    handler.page.locator(".tag").filter(has_text="已处置").wait_for()

    # 网格员: verify on site
    worker.tab("核查")
    worker.page.click(f".item[data-code='{code}']")
    worker.page.locator(".photos img[src^='blob:']").nth(1).wait_for()
    worker.shot("10-worker-verify")
    worker.act("verify_pass")
    worker.page.locator(".tag").filter(has_text="已结案").wait_for()

    # 居民: the four stages done; evaluate
    resident.tab("我的诉求")
    resident.page.click(f".item[data-code='{code}']")
    resident.page.locator(".stage.done[data-stage=close]").wait_for()
    resident.page.fill(".evaluate textarea[name=note]", "处理及时，谢谢")
    resident.shot("11-resident-timeline")
    resident.page.click(".evaluate button[data-rating=satisfied]")
    resident.page.locator(".evaluated").filter(has_text="满意").wait_for()
    resident.shot("12-resident-evaluated")

    # 督办: the indicators now count the closed, satisfied case
    supervisor.tab("考核指标")
    supervisor.page.locator(".chart-card svg.chart").wait_for()
    assert supervisor.page.locator("[data-indicator=close_rate] strong").inner_text() == "100.0%"
    supervisor.shot("13-supervisor-indicators")

    case = Case.objects.get(code=code)
    assert [entry["action"] for entry in case.history] == [
        "report", "accept", "dispatch", "sign", "supervise", "handle", "verify_pass", "evaluate"]
    assert case.status == "closed" and case.evaluation["rating"] == "satisfied"
    assert case.source == "resident" and len(case.attachments) == 2
    assert Notification.objects(case=str(case.id), type="dispatch").count() >= 1
    for phone in (resident, dispatcher, worker, handler, supervisor):
        assert phone.errors == [], (phone.page.url, phone.errors)
