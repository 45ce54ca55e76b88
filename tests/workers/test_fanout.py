"""Case events reach the inbox through a real worker on Redis."""

from __future__ import annotations

from server.auth.models import User
from server.inbox.models import Notification
from tests.workers.conftest import wait_for


def test_a_dispatch_reaches_the_handlers_inbox_through_the_worker(celery_worker, case_in,
                                                                  as_user):
    case = case_in("dispatched")
    handler = str(User.objects.get(username="handler").id)
    notice = wait_for(lambda: Notification.objects(recipient=handler, case=case["id"]).first())
    assert notice.type == "dispatch"
    badge = as_user("handler").get("/api/v1/me/notifications/unread-count").json
    assert badge == {"unread": 1}
