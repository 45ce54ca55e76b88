"""Celery bound to the Flask app (DESIGN §3, §8).

Every task runs inside an app context of the Flask app it is bound to (`bind(app)`, which
`create_app` does; a bare `celery -A server.worker` builds the app from the
environment there). This module imports nothing of `server`: the dependency runs one way.
JSON is the only accepted content; tasks are acknowledged late and re-queued when a worker
dies.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

# The broker keeps an unacknowledged message this long before handing it to another worker:
# longer than the longest retry backoff (1 h), so a waiting retry is never delivered twice.
VISIBILITY_TIMEOUT = 2 * 3600
_bound: dict[str, Flask] = {}


def flask_app() -> Flask:
    """The Flask app tasks run in (bound by `create_app`)."""
    if "app" not in _bound:
        raise RuntimeError("no Flask app bound: start workers with `gridhub worker` "
                           "or `celery -A server.worker`")
    return _bound["app"]


class FlaskTask(Task):
    """Runs the task inside the bound Flask app's context."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with flask_app().app_context():
            return super().__call__(*args, **kwargs)


celery = Celery("gridhub", task_cls=FlaskTask, include=["notifications.tasks"])


def settings(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "broker_url": config.get("CELERY_BROKER_URL") or "memory://",
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT},
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # a lost broker connection cancels running late-ack tasks; they come back redelivered,
        # and every task is safe to run twice (keyed fan-out, compare-and-set delivery)
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # a request publishing to a dead broker gives up quickly; the relay publishes later
        "broker_connection_timeout": 3,
        "task_publish_retry_policy": {"max_retries": 2, "interval_start": 0,
                                      "interval_step": 0.2, "interval_max": 0.5},
        "worker_hijack_root_logger": False,
        "timezone": config.get("TIMEZONE", "Asia/Shanghai"),
        "enable_utc": True,
        "beat_scheduler": "celery.beat:Scheduler",  # schedule in memory: one beat, no file
        "beat_schedule": {
            "sla-sweep": {"task": "gridhub.sla_sweep",
                          "schedule": float(config.get("SLA_SWEEP_SECONDS", 60))},
            "relay-events": {"task": "gridhub.relay_events", "schedule": 30.0},
            "recover-deliveries": {"task": "gridhub.recover_deliveries", "schedule": 30.0},
            "audit-prune": {"task": "gridhub.audit_prune", "schedule": 86400.0},
            "orphan-uploads": {"task": "gridhub.remove_orphan_uploads", "schedule": 3600.0},
            "evaluation-reminders": {"task": "gridhub.evaluation_reminders", "schedule": 3600.0},
        },
    }


def bind(app: Flask) -> Celery:
    """Make `app` the Flask app tasks run in and configure Celery from its config."""
    _bound["app"] = app
    celery.conf.update(settings(app.config))
    # A pool thread with no current app falls back to Celery's default app, which holds copies
    # of our tasks (shared tasks) without the Flask context: make ours the default.
    celery.set_default()
    celery.set_current()
    app.extensions["celery"] = celery
    return celery
