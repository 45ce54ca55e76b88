"""A case's history (全程留痕): who acts, and the one shape of an entry.

Pure. Every entry of every case — a report, a transition, an SLA notice, a reminder — is built
by `entry`; `server/cases/history.py` is the one writer that appends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflows.case_table import NOTE_VISIBILITIES, STAFF_ROLES


@dataclass(frozen=True)
class Actor:
    """Who acts: `key` is `user:<id>`, `client:<id>` or `system`; `org` a region or department code."""

    key: str
    roles: frozenset[str]
    name: str = ""
    org: str | None = None
    grids: frozenset[str] = frozenset()


SYSTEM = Actor(key="system", roles=frozenset({"system"}), name="系统")


def note_visibility(actor: Actor, asked: str | None) -> str:
    """Who may read an entry's note: staff's notes are internal unless they mark one public
    (written for the reporter); a resident's or a sister app's own note is public."""
    if asked in NOTE_VISIBILITIES:
        return asked
    return "internal" if actor.roles & STAFF_ROLES or "system" in actor.roles else "public"


def entry(*, seq: int, action: str, before: str | None, after: str, actor: Actor, at: datetime,
          note: str | None = None, visibility: str | None = None,
          payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One history entry: `seq` is the case's version once it is written."""
    return {
        "seq": seq,
        "action": action,
        "from": before,
        "to": after,
        "actor": {"key": actor.key, "name": actor.name, "roles": sorted(actor.roles)},
        "note": note,
        "note_visibility": note_visibility(actor, visibility),
        "payload": {k: v for k, v in (payload or {}).items() if v is not None},
        "at": at,
    }
