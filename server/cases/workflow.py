"""The service's side of the workflow: a stored case as the machine sees it (`snapshot`), the
county's windows (`policy`), and the machine's errors as the API's (`workflow_errors`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import current_app

from server.catalog import service as catalog
from server.errors import Conflict, Forbidden, Unprocessable
from server.timeutil import aware
from workflows import case_machine as machine


def policy() -> machine.Policy:
    config = current_app.config
    return machine.Policy(evaluation_window=timedelta(days=config["EVALUATION_WINDOW_DAYS"]),
                          reopen_window=timedelta(days=config["REOPEN_WINDOW_DAYS"]))


def snapshot(case: Any) -> machine.CaseSnapshot:
    # Every write adds exactly one history entry and one version: the last seq is the version.
    self_handle = False
    if case.status == machine.State.REPORTED:
        category = catalog.find(code=case.category)
        self_handle = bool(category and category.allows_self_handle)
    suspension = case.suspension or {}
    return machine.CaseSnapshot(
        status=machine.State(case.status), last_seq=case.version, reporter=case.reporter,
        grid=case.grid, department=case.department, self_handle_allowed=self_handle,
        suspended_from=machine.State(suspension["from"]) if suspension.get("from") else None,
        extension_pending=(case.extension or {}).get("status") == "pending",
        supervision_level=case.supervision_level or 0,
        closed_at=aware(case.closed_at), evaluated=bool(case.evaluation),
    )


@contextmanager
def workflow_errors(case: Any | None = None) -> Iterator[None]:
    """Translate the workflow's errors into the API's (403, 409, 422)."""
    try:
        yield
    except machine.Forbidden as exc:
        raise Forbidden(exc.message, reason="forbidden", why=exc.details["why"]) from exc
    except machine.InvalidTransition as exc:
        raise Conflict(exc.message, reason=exc.reason, status=case.status if case else None,
                       allowed=exc.details.get("allowed", [])) from exc
    except machine.PayloadError as exc:
        raise Unprocessable(exc.message, reason=exc.reason,
                            fields=exc.details.get("errors", {})) from exc
