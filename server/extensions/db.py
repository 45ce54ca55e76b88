"""MongoDB through mongoengine: a real server from MONGODB_URI, or embedded mongomock.

The connection is lazy (`connect=False`): nothing touches the network until the first query,
so a gunicorn master may create the app before forking its workers.
"""

from __future__ import annotations

import functools
import logging
import threading

import mongoengine
from flask import Flask
from mongoengine.connection import get_db

log = logging.getLogger(__name__)

_mongomock_lock = threading.RLock()
_WRITE_METHODS = (
    "insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one",
    "delete_many", "find_one_and_update", "find_one_and_replace", "find_one_and_delete",
    "bulk_write", "create_index", "drop",
)


def _serialize_mongomock_writes() -> None:
    """Make each mongomock write atomic across threads, as every write is on a real server.

    mongomock checks unique indexes and version filters, then writes, without a lock; the
    embedded server (one process, many threads) would otherwise let two conditional updates
    both succeed. Only the embedded default uses mongomock outside tests.
    """
    from mongomock.collection import Collection

    if getattr(Collection, "_gridhub_serialized", False):
        return
    for name in _WRITE_METHODS:
        original = getattr(Collection, name)

        @functools.wraps(original)
        def locked(self, *args, __original=original, **kwargs):
            with _mongomock_lock:
                return __original(self, *args, **kwargs)

        setattr(Collection, name, locked)
    Collection._gridhub_serialized = True


def _find_mongomock_ids_directly() -> None:
    """Look a document up by its `_id` instead of scanning the collection.

    mongomock has no indexes: every query, including the `{_id, version}` filter of each
    transition and SLA notice, walks every document. A real server answers these from the
    `_id` index; this gives the embedded database the same shortcut (the document found is
    still checked against the whole filter).
    """
    from bson import ObjectId
    from mongomock.collection import Collection
    from mongomock.filtering import filter_applies

    if getattr(Collection, "_gridhub_id_lookup", False):
        return
    scan = Collection._iter_documents

    def iter_documents(self, filter):
        wanted = filter.get("_id") if isinstance(filter, dict) else None
        if type(wanted) not in (ObjectId, str, int):
            return scan(self, filter)
        try:
            document = self._store[wanted]
        except KeyError:
            return iter(())
        return iter([document] if filter_applies(filter, document) else [])

    Collection._iter_documents = iter_documents
    Collection._gridhub_id_lookup = True


def init_db(app: Flask) -> None:
    uri = app.config.get("MONGODB_URI")
    name = app.config["MONGODB_DB"]
    mongoengine.disconnect()
    if uri:
        mongoengine.connect(host=uri, db=name, connect=False, tz_aware=True,
                            uuidRepresentation="standard", serverSelectionTimeoutMS=5000)
        app.config["DB_EMBEDDED"] = False
        return
    import mongomock
    import mongomock.gridfs

    mongomock.gridfs.enable_gridfs_integration()
    _serialize_mongomock_writes()
    _find_mongomock_ids_directly()
    mongoengine.connect(db=name, host="mongodb://embedded", mongo_client_class=mongomock.MongoClient,
                        tz_aware=True, uuidRepresentation="standard")
    app.config["DB_EMBEDDED"] = True
    if not app.testing:
        log.warning("MONGODB_URI is not set: using the embedded in-memory database "
                    "(mongomock). NOTHING IS PERSISTED; data is lost when the process stops.")


def ping() -> bool:
    """Whether the database answers."""
    try:
        get_db().command("ping")
    except Exception:  # any driver error means "not ready"
        log.warning("database ping failed", exc_info=True)
        return False
    return True
