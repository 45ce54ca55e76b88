"""The embedded database finds a document by `_id` without a scan, with the same answers."""

from bson import ObjectId
from mongoengine.connection import get_db


def test_lookups_by_id_answer_as_a_scan_would(app):
    probe = get_db()["probe"]
    ids = [ObjectId() for _ in range(3)]
    probe.insert_many([{"_id": i, "version": n} for n, i in enumerate(ids)])
    assert probe.find_one({"_id": ids[1], "version": 1}) == {"_id": ids[1], "version": 1}
    assert probe.find_one({"_id": ids[1], "version": 2}) is None
    assert probe.find_one({"_id": ObjectId()}) is None
    assert probe.update_one({"_id": ids[2], "version": 1}, {"$inc": {"version": 1}}
                            ).matched_count == 0
    assert probe.update_one({"_id": ids[2], "version": 2}, {"$inc": {"version": 1}}
                            ).modified_count == 1
    assert {d["_id"] for d in probe.find({"_id": {"$in": ids[:2]}})} == set(ids[:2])
    probe.delete_one({"_id": ids[0]})
    assert probe.find_one({"_id": ids[0]}) is None
    probe.drop()
