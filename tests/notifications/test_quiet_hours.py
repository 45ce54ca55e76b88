"""Quiet hours and digests (issue 19): a non-urgent alert to staff outside office hours waits
for the next working period of the county's calendar and goes out then as one digest per
person; urgent ones go at once; the inbox is written at once; exactly once through a sweep
killed at any point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from notifications import delivery, digests
from notifications.fanout import fan_out
from server.auth.models import User
from server.cases.models import Case
from server.catalog import calendars
from server.inbox.models import Notification
from tests.clock import at, child_env
from tests.factories import principal_of

FRIDAY_EVENING = at(2026, 10, 9, 19, 0)  # the next day, Saturday 10-10, is a make-up workday
SATURDAY_NINE = at(2026, 10, 10, 9, 0)
NATIONAL_DAY_EVE = at(2026, 9, 30, 19, 0)  # then 10-01 … 10-07 off
FIRST_DAY_BACK = at(2026, 10, 8, 9, 0)


@pytest.fixture
def quiet(demo):
    """The demo county holds the handlers' and grid workers' non-urgent alerts."""
    def quiet_(rules=({"role": "handler"}, {"role": "grid_worker"})):
        calendars.set_quiet_hours(principal=principal_of("admin"), region="371083",
                                  rules=list(rules))
    quiet_()
    return quiet_


@pytest.fixture
def alert(case_in, push, device_of):
    """A dispatch to the demo handler (who has a phone), fanned out at `now`."""
    device_of("handler")

    def alert_(now, **overrides):
        case = case_in("dispatched", **overrides)
        return fan_out(case["id"], Case.objects.get(id=case["id"]).version, now=now)
    return alert_


def of_handler(channel="fcm", **filters):
    handler = str(User.objects.get(username="handler").id)
    return list(Notification.objects(recipient=handler, channel=channel, **filters))


def test_a_dispatch_on_a_friday_evening_waits_for_the_make_up_saturday(quiet, alert):
    fanned = alert(FRIDAY_EVENING)
    held, = of_handler()
    assert fanned.deliver == [] and held.status == "held"
    assert held.held_until == SATURDAY_NINE


def test_the_inbox_is_written_at_once_in_quiet_hours(quiet, alert):
    alert(FRIDAY_EVENING)
    item, = of_handler("inbox")
    assert item.status == "sent" and item.title == "新派遣案件待签收"


def test_alerts_held_over_national_day_go_out_as_one_digest_at_nine_on_the_first_day_back(
        quiet, alert, push):
    first, second = alert(NATIONAL_DAY_EVE), alert(at(2026, 10, 3, 11, 0))  # eve, holiday
    assert first.deliver == second.deliver == []
    assert digests.sweep(now=at(2026, 10, 7, 20, 0)) == []
    assert digests.sweep(now=at(2026, 10, 8, 8, 59)) == []
    ready = digests.sweep(now=FIRST_DAY_BACK)
    report = delivery.deliver(ready, now=FIRST_DAY_BACK)
    message, = push.received()
    assert report.sent == 1 and message["notification"]["title"] == "您有 2 条新消息"
    assert message["data"]["count"] == "2" and message["data"]["link"] == "gridhub://inbox"
    assert "新派遣案件待签收" in message["notification"]["body"]
    assert {n.status for n in of_handler(type="dispatch")} == {"digested"}


def test_a_second_sweep_sends_no_second_digest(quiet, alert, push):
    alert(FRIDAY_EVENING)
    ready = digests.sweep(now=SATURDAY_NINE)
    delivery.deliver(ready, now=SATURDAY_NINE)
    assert digests.sweep(now=at(2026, 10, 10, 9, 1)) == []
    assert len(push.received()) == 1 and len(of_handler(type="digest")) == 1


def test_an_urgent_case_is_pushed_at_once_at_night(quiet, alert):
    fanned = alert(FRIDAY_EVENING, priority="urgent")
    pushed, = of_handler()
    assert pushed.status == "pending" and fanned.deliver == [str(pushed.id)]


def test_a_red_card_is_pushed_at_once_at_night(quiet, case_in, push, device_of):
    from server.supervision.sweep import sweep

    device_of("handler")
    case = case_in("in_progress")
    sweep(now=Case.objects.get(id=case["id"]).sla["due_at"] + timedelta(minutes=1))
    overdue = next(e["seq"] for e in Case.objects.get(id=case["id"]).history
                   if e["action"] == "sla.overdue")
    fan_out(case["id"], overdue, now=FRIDAY_EVENING)
    assert {n.status for n in of_handler(type="sla.overdue")} == {"pending"}


def test_alerts_in_office_hours_are_not_held(quiet, alert):
    fanned = alert(at(2026, 10, 9, 10, 0))
    assert len(fanned.deliver) == 1 and of_handler()[0].status == "pending"


def test_a_role_the_county_does_not_list_is_not_held(quiet, alert):
    quiet([{"role": "dispatcher"}])
    alert(FRIDAY_EVENING)
    assert of_handler()[0].status == "pending"


def test_a_role_with_longer_office_hours_is_reached_until_they_end(quiet, alert):
    quiet([{"role": "handler", "office_hours": [["08:00", "20:00"]]}])
    alert(FRIDAY_EVENING)
    assert of_handler()[0].status == "pending"


def test_a_county_without_rules_holds_nothing(demo, alert):
    alert(FRIDAY_EVENING)
    assert of_handler()[0].status == "pending"


def test_an_item_claimed_after_its_digest_was_built_waits_for_the_next_one(quiet, alert):
    alert(FRIDAY_EVENING)
    first = digests.sweep(now=SATURDAY_NINE)
    late, = of_handler(type="dispatch")
    key = Notification.objects.get(id=first[0]).event_key
    alert(at(2026, 10, 9, 20, 0))  # held too; a racing sweeper stamps it with the built key
    newer = Notification.objects(type="dispatch", status="held", channel="fcm").first()
    Notification.objects(id=newer.id).update_one(set__status="digesting", set__digest=key)
    assert digests.build(key, now=SATURDAY_NINE) is not None  # the first, still to deliver
    assert Notification.objects.get(id=newer.id).status == "held"
    second = digests.sweep(now=at(2026, 10, 10, 9, 1))
    assert len(second) == 1 and second != first and late.reload().status == "digested"


# --- a sweep killed at each step -------------------------------------------------------------
KILLER = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime
    from server import TestConfig, create_app
    from notifications import digests

    step, uri, name, now = sys.argv[1:5]
    app = create_app(TestConfig, {"MONGODB_URI": uri, "MONGODB_DB": name})

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    real = digests._collection

    class Dying:
        def __init__(self, collection):
            self.collection = collection

        def __getattr__(self, attr):
            return getattr(self.collection, attr)

        def update_many(self, where, update, **kwargs):
            if update.get("$set", {}).get("status") == "digested":
                die()
            return self.collection.update_many(where, update, **kwargs)

    if step == "claimed":  # the items are digesting; the digest is not written
        digests.build = die
    else:  # the digest is written; its items are not closed
        digests._collection = lambda: Dying(real())
    with app.app_context():
        digests.sweep(now=datetime.fromisoformat(now))
    sys.exit(3)  # not killed: the test's step was never reached
""")


@pytest.mark.parametrize("step", ["claimed", "built"])
def test_a_sweep_killed_while_building_a_digest_sends_it_once(quiet, alert, push, app,
                                                               database_uri, step):
    alert(FRIDAY_EVENING)
    alert(at(2026, 10, 9, 22, 0))
    killed = subprocess.run([sys.executable, "-c", KILLER, step, database_uri,
                             app.config["MONGODB_DB"], SATURDAY_NINE.isoformat()],
                            env=child_env({**os.environ, "PYTHONPATH": os.getcwd()}),
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    ready = digests.sweep(now=at(2026, 10, 10, 9, 1))
    delivery.deliver(ready, now=at(2026, 10, 10, 9, 1))
    assert digests.sweep(now=at(2026, 10, 10, 9, 2)) == []
    message, = push.received()
    assert message["notification"]["title"] == "您有 2 条新消息"
    assert {n.status for n in of_handler(type="dispatch")} == {"digested"}


# --- the rules, through the API --------------------------------------------------------------
def test_an_admin_sets_the_quiet_hours_of_their_county(as_user):
    rules = [{"role": "handler", "office_hours": None},
             {"role": "dispatcher", "office_hours": [["08:00", "20:00"]]}]
    response = as_user("admin").put("/api/v1/calendars/371083/quiet-hours", json={"rules": rules})
    assert response.status_code == 200 and response.json["quiet_hours"] == rules
    assert as_user("handler").get("/api/v1/calendars/371083").json["quiet_hours"] == rules


@pytest.mark.parametrize("rules", [
    [{"role": "resident"}],
    [{"role": "handler"}, {"role": "handler"}],
    [{"role": "handler", "office_hours": [["17:00", "09:00"]]}],
    [{"role": "handler", "office_hours": [["09:00", "13:00"], ["12:00", "17:00"]]}],
    [{"role": "handler", "office_hours": [["9am", "5pm"]]}],
    [{"role": "handler", "office_hours": []}],
])
def test_a_quiet_hours_rule_that_does_not_parse_is_refused_and_nothing_changes(as_user, rules):
    admin = as_user("admin")
    admin.put("/api/v1/calendars/371083/quiet-hours", json={"rules": [{"role": "grid_worker"}]})
    response = admin.put("/api/v1/calendars/371083/quiet-hours", json={"rules": rules})
    assert response.status_code == 422 and response.json["message"]
    assert response.json["errors"]["reason"] in ("invalid_quiet_hours", "validation_error")
    assert admin.get("/api/v1/calendars/371083").json["quiet_hours"] == [
        {"role": "grid_worker", "office_hours": None}]


def test_only_an_admin_sets_quiet_hours(as_user):
    response = as_user("supervisor").put("/api/v1/calendars/371083/quiet-hours",
                                         json={"rules": [{"role": "handler"}]})
    assert response.status_code == 403


def test_quiet_hours_belong_to_a_county(as_user):
    response = as_user("admin").put("/api/v1/calendars/371083001/quiet-hours",
                                    json={"rules": [{"role": "handler"}]})
    assert response.status_code == 404
