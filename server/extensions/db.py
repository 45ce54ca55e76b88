"""MongoDB through mongoengine, over the wire: MONGODB_URI, or the embedded SecantusDB server
that the `gridhub` command starts (server/extensions/dbserver.py) and passes in with
`DB_EMBEDDED` set.

The connection is lazy (`connect=False`): nothing touches the network until the first query,
so a gunicorn master may create the app before forking its workers.
"""

from __future__ import annotations

import logging

import mongoengine
from flask import Flask
from mongoengine.connection import get_db

from server.config import ConfigError

log = logging.getLogger(__name__)


def init_db(app: Flask) -> None:
    uri = app.config.get("MONGODB_URI")
    if not uri:
        raise ConfigError("MONGODB_URI is not set: point it at a MongoDB (production), or use "
                          "`gridhub run`, which starts the embedded database")
    mongoengine.disconnect()
    mongoengine.connect(host=uri, db=app.config["MONGODB_DB"], connect=False, tz_aware=True,
                        uuidRepresentation="standard", serverSelectionTimeoutMS=5000)
    app.config["DB_EMBEDDED"] = bool(app.config.get("DB_EMBEDDED"))


def ping() -> bool:
    """Whether the database answers."""
    try:
        get_db().command("ping")
    except Exception:  # any driver error means "not ready"
        log.warning("database ping failed", exc_info=True)
        return False
    return True
