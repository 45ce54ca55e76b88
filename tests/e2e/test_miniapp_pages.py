"""The mini-app's pages when things go wrong: wrong password, wrong role, no hub container, a
lost answer, a case changed by someone else."""

from __future__ import annotations

from server.cases.models import Case


def test_a_wrong_password_shows_the_servers_chinese_message(phones):
    dispatcher = phones("dispatcher")
    dispatcher.sign_in("dispatcher", "wrong-password", accepted=False)
    error = dispatcher.page.locator(".notice.error")
    error.wait_for()
    assert "密码" in error.inner_text()
    assert dispatcher.page.locator("nav.tabs.hidden").count() == 1


def test_a_staff_page_refuses_an_account_of_another_role(phones):
    dispatcher = phones("dispatcher")
    dispatcher.sign_in("handler", accepted=False)
    dispatcher.page.locator(".notice.error").filter(has_text="该账号不是受理派遣员").wait_for()
    dispatcher.page.locator("input[name=username]").wait_for()  # the sign-in form again
    assert dispatcher.page.evaluate("localStorage.getItem('gridhub.dispatcher.session')") is None


def test_the_resident_page_outside_the_hub_and_outside_demo_asks_to_open_it_in_the_app(app, phones):
    app.config["IDENTITY_PROVIDER"] = None  # restored by live_server
    app.extensions.pop("gridhub_idp", None)
    resident = phones("resident")
    resident.page.locator(".notice.error").filter(has_text="请在爱山东 App 中打开").wait_for()


def test_the_demo_sign_in_hint_names_the_pages_account(phones):
    worker = phones("worker")
    worker.page.locator(".notice").filter(has_text="演示账号：gridworker").wait_for()


def test_a_report_whose_answer_was_lost_is_filed_once_when_sent_again(phones):
    worker = phones("worker", user="gridworker")
    keys = []  # the Idempotency-Key of each POST that reached the server

    def lose_the_first_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server files the report...
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    worker.page.route("**/api/v1/cases", lose_the_first_answer)
    worker.page.select_option("select[name=category]", "0301")  # nothing of this kind nearby
    worker.page.fill("textarea[name=description]", "夜间施工噪声")
    worker.page.locator(".location").filter(has_text="胜利街第一网格").wait_for()
    worker.page.click("form.report button[type=submit]")
    # No answer: the report waits in the outbox, which sends it again with the same key.
    worker.page.locator(".card.kept").wait_for()
    for _ in range(150):
        if len(keys) == 2 and worker.page.evaluate("document.querySelector('.outbox').dataset.count === '0'"):
            break
        worker.page.wait_for_timeout(100)
    assert len(keys) == 2 and keys[0] == keys[1]
    assert Case.objects.count() == 1


def test_acting_on_a_case_someone_else_changed_refreshes_it_instead(phones, report, transition):
    case = report("gridworker")
    dispatcher = phones("dispatcher", user="dispatcher")
    dispatcher.page.click(f".item[data-code='{case['code']}']")
    dispatcher.page.click("button[data-action=accept]")
    assert transition(case["id"], "dispatcher", {"action": "reject", "reason": "重复上报"}).status_code == 200
    dispatcher.page.click("button[data-confirm=accept]")
    dispatcher.page.locator(".notice.error").filter(has_text="案件已被他人更新").wait_for()
    dispatcher.page.locator(".tag").filter(has_text="不予受理").wait_for()  # reloaded
    assert Case.objects.get(id=case["id"]).status == "rejected"


def test_a_case_of_another_grid_is_not_shown_to_the_grid_worker(phones, report):
    case = report("resident", location={"lat": 36.905, "lng": 121.545})  # 府前路第二网格
    worker = phones(f"worker#case/{case['id']}", user="gridworker")
    worker.page.locator(".toast").wait_for()
    assert worker.page.locator(".kv").count() == 0


def test_an_unknown_role_goes_back_to_the_role_list(phones):
    visitor = phones("admin")
    visitor.page.wait_for_url("**/miniapp/index.html")
    assert visitor.page.locator(".roles a").count() == 5
