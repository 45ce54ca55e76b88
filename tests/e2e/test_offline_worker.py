"""The grid worker's page offline (issue 18): the page opens without signal (service worker);
two reports and a visit made without signal wait in the outbox (待上传) with their photos,
survive the page being closed and opened again, and are filed exactly once each when the
signal returns."""

from __future__ import annotations

import re

from server.auth.models import User
from server.cases.attachments import Attachment
from server.cases.models import Case
from server.patrols.models import Visit
from tests.e2e.conftest import ARTIFACTS, Phone, until

REPORTS = ("胜利街菜市场东门口堆放生活垃圾", "胜利街12号门前井盖破损")




def report_offline(phone, description, photo_file):
    page = phone.page
    page.locator("form.report").wait_for()
    page.select_option("select[name=category]", "0102")
    page.fill("textarea[name=description]", description)
    phone.photo("form.report .photos .add", photo_file)
    # placed by the server while there was signal, or kept as the phone gave it without
    page.locator(".location").filter(has_text=re.compile("胜利街第一网格|无网络，已记录位置")).wait_for()
    page.click("form.report button[type=submit]")
    page.locator(".card.kept").wait_for()


def test_reports_and_a_visit_made_without_signal_are_filed_once_each_when_it_returns(
        browser, live_server, photo_file):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone = Phone(browser, live_server, ARTIFACTS, service_workers="allow")
    try:
        phone.open("worker")
        phone.sign_in("gridworker")
        until(phone, "navigator.serviceWorker.controller !== null")
        phone.page.reload()  # once online under the service worker: the shell and answers kept
        phone.page.wait_for_selector("nav.tabs:not(.hidden)")
        phone.tab("走访")
        phone.page.locator("form.visit select[name=purpose] option[value=独居老人]").wait_for(
            state="attached")
        phone.tab("上报")

        phone.context.set_offline(True)
        report_offline(phone, REPORTS[0], photo_file)
        phone.page.click(".card.kept button")
        report_offline(phone, REPORTS[1], photo_file)
        phone.tab("走访")
        phone.page.fill("input[name=subject]", "王奶奶家（独居）")
        phone.page.select_option("select[name=purpose]", "独居老人")
        phone.photo("form.visit .photos .add", photo_file)
        phone.page.click("form.visit button[type=submit]")
        phone.page.locator(".card.kept").wait_for()
        phone.page.locator(".outbox summary").filter(has_text="待上传 3 项").wait_for()
        phone.shot("33-worker-offline-outbox")
        assert Case.objects.count() == 0 and Visit.objects.count() == 0

        # The page is closed and opened again, still without signal: the outbox is still there.
        phone.page.close()
        phone.page = phone.context.new_page()
        phone.open("worker")
        phone.page.wait_for_selector("nav.tabs:not(.hidden)")
        phone.page.locator(".outbox summary").filter(has_text="待上传 3 项").wait_for()

        phone.context.set_offline(False)  # the signal returns
        phone.page.locator(".outbox.hidden").wait_for(state="attached", timeout=30_000)
    finally:
        phone.close()
    worker = User.objects.get(username="gridworker")
    for description in REPORTS:
        case, = Case.objects(description=description)  # exactly once each
        assert case.reporter == f"user:{worker.id}" and len(case.attachments) == 1
    visit, = Visit.objects(subject="王奶奶家（独居）")
    assert len(visit.attachments) == 1
    assert Attachment.objects(owner=f"user:{worker.id}").count() == 3
