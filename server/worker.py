"""Entry point for a bare Celery worker or beat: `celery -A server.worker worker`.

Builds the Flask app from the environment (which binds our Celery app to it) and exposes the
Celery app. `gridhub worker` / `gridhub beat` do the same through the CLI.
"""

from __future__ import annotations

from server import create_app

app = create_app()
celery = app.extensions["celery"]
