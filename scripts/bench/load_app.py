"""The two WSGI apps `scripts/bench/load.py` runs under gunicorn: gridhub on the embedded
database with the demo county (rate limits off, events to the in-memory broker), and a bare
Flask app doing one insert / one read per request on the same kind of database — the baseline."""

from __future__ import annotations

import os
import sys

from flask import Flask, jsonify, request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))


def gridhub() -> Flask:
    from server import Config, create_app
    from server.demo import seed_demo

    app = create_app(Config, {"RATE_LIMITS_ENABLED": False})
    with app.app_context():
        seed_demo()
    return app


def bare() -> Flask:
    import mongomock

    collection = mongomock.MongoClient().bench.items
    app = Flask("bare")

    @app.post("/bare")
    def insert():
        body = request.get_json()
        collection.insert_one({"body": body})
        return jsonify({"ok": True}), 201

    @app.get("/bare")
    def read():
        return jsonify([{"id": str(d["_id"])} for d in collection.find().sort("_id", -1).limit(20)])

    return app
