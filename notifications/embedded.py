"""The embedded default (DESIGN §3): a Celery worker thread and a beat thread inside the API
process, for `gridhub run` on the in-process database (a worker in another process could not
see it). Production runs `gridhub worker` and one `gridhub beat` instead."""

from __future__ import annotations

import logging
import threading

from celery.beat import EmbeddedService, Scheduler
from celery.worker import WorkController
from flask import Flask

log = logging.getLogger(__name__)


def start(app: Flask) -> tuple[WorkController, EmbeddedService]:
    celery = app.extensions["celery"]
    worker = WorkController(app=celery, pool="threads", concurrency=2,
                            hostname="embedded@gridhub", without_heartbeat=True,
                            without_mingle=True, without_gossip=True, loglevel="WARNING")
    threading.Thread(target=worker.start, daemon=True, name="celery-worker").start()
    # The in-memory scheduler, as `gridhub beat` uses: the default one writes a schedule file
    # into the working directory.
    beat = EmbeddedService(celery, thread=True, scheduler_cls=Scheduler)
    beat.start()
    log.info("embedded Celery worker and beat started on %s", celery.conf.broker_url)
    return worker, beat
