"""What every benchmark shares: the database it runs on.

MONGODB_URI when set (a real MongoDB); otherwise a SecantusDB server started for the run with
`:memory:` storage — the embedded default's server — and stopped after it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from server.extensions.dbserver import DatabaseServer  # noqa: E402


@contextlib.contextmanager
def database() -> Iterator[tuple[str, str]]:
    """(uri, a label for the report) of the database to measure on."""
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"], "MongoDB (MONGODB_URI)"
        return
    from importlib.metadata import version

    server = DatabaseServer(":memory:")
    server.start()
    try:
        yield server.uri, f"SecantusDB {version('secantusdb')} (:memory:, its own process)"
    finally:
        server.stop()
