"""The two WSGI apps `scripts/bench/load.py` runs under gunicorn on the database server of
MONGODB_URI: gridhub with the demo county (loaded by load.py before; rate limits off, events to
the in-memory broker), and a bare Flask app doing one insert / one read per request on the same
server — the baseline."""

from __future__ import annotations

import os
import sys

from flask import Flask, jsonify, request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))


def gridhub() -> Flask:
    from server import Config, create_app

    return create_app(Config, {"RATE_LIMITS_ENABLED": False})


def bare() -> Flask:
    from pymongo import MongoClient

    collection = MongoClient(os.environ["MONGODB_URI"], connect=False).bench_bare.items
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
