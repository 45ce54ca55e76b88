"""Writing and reading the audit trail. Entries are inserted, never updated; only the
retention sweep (beat, daily) removes entries older than AUDIT_RETENTION_DAYS."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, request
from pymongo.errors import PyMongoError

from server.audit.models import AuditEntry
from server.auth.permissions import admin_county, require_admin
from server.auth.principals import Principal
from server.extensions.queries import starts_with

WRITES = ("POST", "PUT", "PATCH", "DELETE")
SELF_AUDITED = frozenset({"auth.Token", "auth.Logout"})  # they record richer entries themselves

log = logging.getLogger(__name__)


def record(action: str, *, result: str, actor: str | None = None, target: str | None = None,
           status: int | None = None, county: str | None = None, **detail: Any) -> None:
    entry = AuditEntry(action=action, result=result, actor=actor, target=target, status=status,
                       county=county, detail=detail)
    if has_request_context():
        principal = request.environ.get("gridhub.principal")
        entry.actor = actor or (principal.key if principal else None)
        entry.client = principal.id if principal is not None and principal.kind == "client" else None
        entry.county = county or (principal.county if principal is not None else None)
        entry.ip = request.remote_addr
        entry.user_agent = (request.user_agent.string or "")[:300]
    entry.save()


# Reads that disclose personal data or bulk data, by endpoint: audited like writes (the
# predicate says when a GET is such a read). A query's value (a phone number) is never stored.
SENSITIVE_READS = {
    "cases.Cases": lambda args: "reporter_phone" in args,
    "organisation.Users": lambda args: "phone" in args,
    "organisation.UserItem": lambda args: True,
    "supervision.StatsExport": lambda args: True,
    "cases.AttachmentItem": lambda args: True,
    "audit.Audit": lambda args: True,
}


def _audited(request_) -> bool:
    if request_.path.startswith("/open311/"):  # sister apps filing cases through GeoReport
        return request_.method == "POST"
    if not request_.path.startswith("/api/") or request_.endpoint in SELF_AUDITED:
        return False
    if request_.method in WRITES:
        return True
    sensitive = SENSITIVE_READS.get(request_.endpoint or "")
    return request_.method == "GET" and sensitive is not None and sensitive(request_.args)


def record_write(response):
    """after_request: one entry per write to the API (and per read of personal or bulk data),
    with its outcome."""
    if _audited(request):
        rule = request.url_rule.rule if request.url_rule else request.path
        target = ",".join(f"{key}:{value}" for key, value in (request.view_args or {}).items()) or None
        args = sorted(request.args) if request.method == "GET" else None
        action = f"{request.method} {rule}"
        result = "success" if response.status_code < 400 else "failure"
        try:
            record(action, target=target, status=response.status_code, result=result,
                   **({"query": args} if args else {}))
        except PyMongoError:
            # The database went away (this answer is then usually its 503): the entry goes to
            # the log instead, and the answer is not turned into an error of its own.
            log.error("audit entry not stored (database unavailable): %s %s %s %s", action,
                      target, response.status_code, result)
    return response


def search(*, principal: Principal, actor: str | None = None, action: str | None = None,
           target: str | None = None, result: str | None = None,
           since: datetime | None = None, until: datetime | None = None):
    require_admin(principal)
    query = AuditEntry.objects
    county = admin_county(principal)
    if county is not None:  # a county's admin reads what its county's staff did
        query = query.filter(county=county)
    for field, value in (("actor", actor), ("target", target), ("result", result)):
        if value:
            query = query.filter(**{field: value})
    if action:
        query = query.filter(starts_with("action", action))
    if since:
        query = query.filter(at__gte=since)
    if until:
        query = query.filter(at__lt=until)
    return query.order_by("-at", "-id")


def prune(*, now: datetime) -> int:
    """Remove entries past the retention period; return how many."""
    cutoff = now - timedelta(days=current_app.config["AUDIT_RETENTION_DAYS"])
    return AuditEntry._get_collection().delete_many({"at": {"$lt": cutoff}}).deleted_count
