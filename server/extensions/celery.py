"""Celery, the Flask way (Flask's `celery_init_app` pattern, DESIGN §3, §8).

`celery_init_app(app)` makes one Celery app per Flask app, whose tasks run inside that Flask
app's context (the task class closes over it: no global). Tasks are `@shared_task`s in each
domain's `tasks.py` (`TASK_MODULES`), imported by the app factory so that both the API (which
publishes them by reference, `fanout.delay(...)`) and the worker know them; `server.worker`
is the entry of a bare `celery -A server.worker worker`. JSON is the only accepted content;
tasks are acknowledged late and re-queued when a worker dies.
"""

from __future__ import annotations

import importlib
from typing import Any

from celery import Celery, Task
from flask import Flask

# Each domain's tasks (udata's `tasks.py` per domain, loaded by the app).
TASK_MODULES = ("server.cases.tasks", "server.supervision.tasks", "server.audit.tasks",
                "server.patrols.tasks", "notifications.tasks")
# The broker keeps an unacknowledged message this long before handing it to another worker:
# longer than the longest retry backoff (1 h), so a waiting retry is never delivered twice.
VISIBILITY_TIMEOUT = 2 * 3600


def celery_init_app(app: Flask) -> Celery:
    """The Celery app of `app` (in `app.extensions["celery"]`), its tasks loaded."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return super().__call__(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask, include=list(TASK_MODULES))
    celery.conf.update(settings(app.config))
    # Shared tasks resolve to the current Celery app, in the request threads, the worker's and
    # the embedded ones alike: make this one the default.
    celery.set_default()
    celery.set_current()
    app.extensions["celery"] = celery
    for module in TASK_MODULES:
        importlib.import_module(module)
    return celery


def settings(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "broker_url": config.get("CELERY_BROKER_URL") or "memory://",
        "broker_connection_retry_on_startup": True,
        # polling_interval: the in-process memory:// transport polls its queues (1 s by default,
        # a second per alert when a backlog is worked off); Redis ignores it (it blocks on pop)
        "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT,
                                     "polling_interval": 0.1},
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
            "send-digests": {"task": "gridhub.send_digests", "schedule": 60.0},
            "audit-prune": {"task": "gridhub.audit_prune", "schedule": 86400.0},
            "orphan-uploads": {"task": "gridhub.remove_orphan_uploads", "schedule": 3600.0},
            "evaluation-reminders": {"task": "gridhub.evaluation_reminders", "schedule": 3600.0},
            "code-counters": {"task": "gridhub.prune_code_counters", "schedule": 86400.0},
            "idle-patrols": {"task": "gridhub.close_idle_patrols", "schedule": 300.0},
            "patrol-points": {"task": "gridhub.prune_patrol_points", "schedule": 86400.0},
        },
    }
