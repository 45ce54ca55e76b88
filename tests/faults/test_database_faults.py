"""The database failing under a request (AutoReconnect, failover, server selection timeout):
a 503 in the envelope with Retry-After, and nothing half-written — sending the same request
again completes it."""

from __future__ import annotations

import io

import gridfs
import pytest
from pymongo.errors import AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError

from server.cases import attachments as attachment_store
from server.cases import reading as case_reading
from server.cases.attachments import Attachment
from server.cases.models import Case
from server.extensions.db import get_db
from tests.api.test_attachments import image_bytes
from tests.cases import case_body


def fail(error: Exception):
    def raiser(*_args, **_kwargs):
        raise error
    return raiser


def stored_files() -> tuple[int, int]:
    """(files, chunks) in the photo store."""
    db = get_db()
    return db["files.files"].count_documents({}), db["files.chunks"].count_documents({})


def assert_unavailable(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["errors"]["reason"] == "database_unavailable"
    assert response.json["message"] == "数据库暂时不可用，请稍后重试"


@pytest.mark.parametrize("error", [AutoReconnect("primary stepped down"), NetworkTimeout("timed out"),
                                   ServerSelectionTimeoutError("no primary")])
def test_a_report_while_the_database_is_unreachable_is_503_and_files_nothing(as_user, monkeypatch, error):
    monkeypatch.setattr(Case, "save", fail(error))
    assert_unavailable(as_user("gridworker").post("/api/v1/cases", json=case_body()))
    monkeypatch.undo()
    assert Case.objects.count() == 0


def test_a_list_while_the_database_is_unreachable_is_503(as_user, monkeypatch):
    monkeypatch.setattr(case_reading, "list_cases", fail(AutoReconnect("connection reset")))
    assert_unavailable(as_user("dispatcher").get("/api/v1/cases"))


def test_a_transition_that_loses_the_database_changes_nothing_and_can_be_sent_again(
        report, transition, monkeypatch):
    case = report("gridworker")
    collection = Case._get_collection()
    monkeypatch.setattr(collection, "update_one", fail(AutoReconnect("failover")))
    assert_unavailable(transition(case["id"], "dispatcher", {"action": "accept"}))
    monkeypatch.undo()
    stored = Case.objects.get(id=case["id"])
    assert (stored.status, stored.version, len(stored.history)) == ("reported", 1, 1)
    assert transition(case["id"], "dispatcher", {"action": "accept"},
                      headers={"If-Match": '"1"'}).status_code == 200


def test_a_report_cut_between_its_two_writes_is_completed_by_its_replay(as_user, monkeypatch):
    worker = as_user("gridworker")
    photo = worker.post("/api/v1/attachments", data={"file": (io.BytesIO(image_bytes()), "p.jpg")},
                        content_type="multipart/form-data").json
    body = case_body(attachments=[photo["id"]])
    headers = {"Idempotency-Key": "phone-report-1"}
    monkeypatch.setattr(attachment_store, "attach", fail(AutoReconnect("connection reset")))
    assert_unavailable(worker.post("/api/v1/cases", json=body, headers=headers))
    monkeypatch.undo()
    filed = Case.objects.get()  # the case itself was written whole, photo list included
    assert filed.attachments == [photo["id"]]
    assert Attachment.objects.get(id=photo["id"]).case is None
    replay = worker.post("/api/v1/cases", json=body, headers=headers)
    assert replay.status_code == 200 and replay.json["id"] == str(filed.id)
    assert Attachment.objects.get(id=photo["id"]).case == filed.id


@pytest.mark.parametrize("failing_put", [1, 2])
def test_a_photo_whose_storage_fails_leaves_no_file_and_no_record(as_user, monkeypatch, failing_put):
    calls = {"n": 0}
    real_put = gridfs.GridFS.put

    def put(self, data, **kwargs):
        calls["n"] += 1
        if calls["n"] == failing_put:
            raise AutoReconnect("storage went away")
        return real_put(self, data, **kwargs)

    monkeypatch.setattr(gridfs.GridFS, "put", put)
    worker = as_user("gridworker")
    response = worker.post("/api/v1/attachments", data={"file": (io.BytesIO(image_bytes()), "p.jpg")},
                           content_type="multipart/form-data")
    assert_unavailable(response)
    monkeypatch.undo()
    assert Attachment.objects.count() == 0
    assert stored_files() == (0, 0)


def test_a_photo_whose_record_fails_removes_its_stored_files(as_user, monkeypatch):
    worker = as_user("gridworker")

    def send():
        return worker.post("/api/v1/attachments", data={"file": (io.BytesIO(image_bytes()), "p.jpg")},
                           content_type="multipart/form-data")

    assert send().status_code == 201
    before = stored_files()
    assert before[0] == 2  # the photo and its thumbnail
    monkeypatch.setattr(Attachment, "save", fail(AutoReconnect("write concern lost")))
    assert_unavailable(send())
    assert stored_files() == before
