"""A MongoDB wire-protocol server over mongomock, for tests that need several processes on one
database on a machine where no MongoDB can be installed (a worker killed with SIGKILL and
started again, say). Clients are real pymongo clients: `mongodb://127.0.0.1:<port>/<db>`.

It speaks OP_MSG (and OP_QUERY for the handshake) and the commands pymongo and mongoengine
send: hello, ping, buildInfo, find/getMore/killCursors, insert, update, delete,
findAndModify, aggregate, count, distinct, create/drop, createIndexes/listIndexes/
dropIndexes, listCollections, dropDatabase, endSessions. One lock serialises every command,
so each is atomic, as single-document operations are on MongoDB. No sessions, transactions or
change streams; everything lives in memory and goes when the process ends.

    python scripts/mongomock_server.py --port 27099
"""

from __future__ import annotations

import argparse
import itertools
import socketserver
import struct
import threading
from datetime import UTC, datetime
from typing import Any

import bson
import mongomock
from bson.codec_options import CodecOptions
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
MAX_BATCH_BYTES = 4 * 1024 * 1024
CODEC = CodecOptions(tz_aware=True, tzinfo=UTC)


class Store:
    def __init__(self) -> None:
        self.client = mongomock.MongoClient(tz_aware=True)
        self.lock = threading.Lock()
        self.cursors: dict[int, tuple[str, Any]] = {}
        self.cursor_ids = itertools.count(1)

    # --- plumbing ------------------------------------------------------------------------
    def run(self, command: dict[str, Any]) -> dict[str, Any]:
        name = next(iter(command))
        handler = getattr(self, "cmd_" + name.lower(), None)
        if handler is None:
            return {"ok": 0.0, "errmsg": f"no such command: '{name}'", "code": 59,
                    "codeName": "CommandNotFound"}
        with self.lock:
            try:
                reply = handler(command, self.client[command.get("$db", "test")])
            except DuplicateKeyError as exc:
                return {"ok": 0.0, "errmsg": str(exc), "code": 11000, "codeName": "DuplicateKey"}
            except OperationFailure as exc:
                return {"ok": 0.0, "errmsg": str(exc), "code": exc.code or 2, "codeName": "BadValue"}
            except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
                return {"ok": 0.0, "errmsg": f"{type(exc).__name__}: {exc}", "code": 2,
                        "codeName": "BadValue"}
        return {**reply, "ok": 1.0}

    def _cursor(self, ns: str, documents: Any, first: str = "firstBatch",
                batch_size: int | None = None) -> dict[str, Any]:
        iterator = iter(documents)
        batch, size = [], 0
        for document in iterator:
            batch.append(document)
            size += len(bson.encode(document))
            if size > MAX_BATCH_BYTES or (batch_size and len(batch) >= batch_size):
                cursor_id = next(self.cursor_ids)
                self.cursors[cursor_id] = (ns, iterator)
                return {"cursor": {"id": bson.Int64(cursor_id), "ns": ns, first: batch}}
        return {"cursor": {"id": bson.Int64(0), "ns": ns, first: batch}}

    # --- handshake and server ------------------------------------------------------------
    def cmd_hello(self, command: dict, db: Any) -> dict:
        return {"isWritablePrimary": True, "ismaster": True, "helloOk": True,
                "maxBsonObjectSize": 16 * 1024 * 1024, "maxMessageSizeBytes": 48_000_000,
                "maxWriteBatchSize": 100_000, "localTime": datetime.now(UTC),
                "minWireVersion": 0, "maxWireVersion": 17, "readOnly": False,
                "connectionId": 1}

    cmd_ismaster = cmd_hello

    def cmd_ping(self, command: dict, db: Any) -> dict:
        return {}

    def cmd_buildinfo(self, command: dict, db: Any) -> dict:
        return {"version": "6.0.0", "versionArray": [6, 0, 0, 0], "maxBsonObjectSize": 16 * 1024 * 1024}

    def cmd_endsessions(self, command: dict, db: Any) -> dict:
        return {}

    def cmd_listdatabases(self, command: dict, db: Any) -> dict:
        names = self.client.list_database_names()
        return {"databases": [{"name": n, "sizeOnDisk": 0, "empty": False} for n in names],
                "totalSize": 0}

    def cmd_dropdatabase(self, command: dict, db: Any) -> dict:
        self.client.drop_database(db.name)
        return {"dropped": db.name}

    # --- collections and indexes ---------------------------------------------------------
    def cmd_listcollections(self, command: dict, db: Any) -> dict:
        wanted = (command.get("filter") or {}).get("name")
        names = [n for n in db.list_collection_names() if wanted is None or n == wanted]
        found = [{"name": n, "type": "collection", "options": {}, "info": {"readOnly": False}}
                 for n in names]
        return self._cursor(f"{db.name}.$cmd.listCollections", found)

    def cmd_create(self, command: dict, db: Any) -> dict:
        if command["create"] not in db.list_collection_names():
            db.create_collection(command["create"])
        return {}

    def cmd_drop(self, command: dict, db: Any) -> dict:
        db.drop_collection(command["drop"])
        return {"ns": f"{db.name}.{command['drop']}", "nIndexesWas": 1}

    def cmd_createindexes(self, command: dict, db: Any) -> dict:
        collection = db[command["createIndexes"]]
        for spec in command["indexes"]:
            options = {k: v for k, v in spec.items() if k not in ("key", "v", "ns")}
            collection.create_index(list(spec["key"].items()), **options)
        return {"numIndexesBefore": 1, "numIndexesAfter": 1 + len(command["indexes"])}

    def cmd_listindexes(self, command: dict, db: Any) -> dict:
        collection = db[command["listIndexes"]]
        indexes = [{"v": 2, "key": dict(info.pop("key")), "name": name, **info}
                   for name, info in collection.index_information().items()]
        return self._cursor(f"{db.name}.{collection.name}", indexes)

    def cmd_dropindexes(self, command: dict, db: Any) -> dict:
        collection = db[command["dropIndexes"]]
        if command["index"] == "*":
            collection.drop_indexes()
        else:
            collection.drop_index(command["index"])
        return {"nIndexesWas": 1}

    # --- reads ---------------------------------------------------------------------------
    def cmd_find(self, command: dict, db: Any) -> dict:
        collection = db[command["find"]]
        limit = command.get("limit", 0)
        cursor = collection.find(command.get("filter") or {}, command.get("projection"),
                                 skip=command.get("skip", 0), limit=abs(limit))
        if command.get("sort"):
            cursor = cursor.sort(list(command["sort"].items()))
        batch_size = None if command.get("singleBatch") or limit < 0 else command.get("batchSize")
        return self._cursor(f"{db.name}.{collection.name}", cursor, batch_size=batch_size)

    def cmd_getmore(self, command: dict, db: Any) -> dict:
        cursor_id = int(command["getMore"])
        if cursor_id not in self.cursors:
            return {"ok": 0.0, "errmsg": f"cursor id {cursor_id} not found", "code": 43,
                    "codeName": "CursorNotFound"}
        ns, iterator = self.cursors.pop(cursor_id)
        reply = self._cursor(ns, iterator, first="nextBatch", batch_size=command.get("batchSize"))
        if reply["cursor"]["id"]:  # keep the same id for the rest
            self.cursors[cursor_id] = self.cursors.pop(int(reply["cursor"]["id"]))
            reply["cursor"]["id"] = bson.Int64(cursor_id)
        return reply

    def cmd_killcursors(self, command: dict, db: Any) -> dict:
        killed = [c for c in command.get("cursors", []) if self.cursors.pop(int(c), None)]
        return {"cursorsKilled": killed, "cursorsNotFound": [], "cursorsAlive": [],
                "cursorsUnknown": []}

    def cmd_aggregate(self, command: dict, db: Any) -> dict:
        collection = db[command["aggregate"]]
        results = collection.aggregate(command["pipeline"])
        batch_size = (command.get("cursor") or {}).get("batchSize")
        return self._cursor(f"{db.name}.{collection.name}", results, batch_size=batch_size)

    def cmd_count(self, command: dict, db: Any) -> dict:
        collection = db[command["count"]]
        options = {k: command[k] for k in ("skip", "limit") if command.get(k)}
        return {"n": collection.count_documents(command.get("query") or {}, **options)}

    def cmd_distinct(self, command: dict, db: Any) -> dict:
        return {"values": db[command["distinct"]].distinct(command["key"], command.get("query") or {})}

    # --- writes --------------------------------------------------------------------------
    def cmd_insert(self, command: dict, db: Any) -> dict:
        collection = db[command["insert"]]
        n, errors = 0, []
        for index, document in enumerate(command.get("documents", [])):
            try:
                collection.insert_one(document)
                n += 1
            except DuplicateKeyError as exc:
                errors.append({"index": index, "code": 11000, "errmsg": str(exc)})
                if command.get("ordered", True):
                    break
        return {"n": n, **({"writeErrors": errors} if errors else {})}

    def cmd_update(self, command: dict, db: Any) -> dict:
        collection = db[command["update"]]
        n = modified = 0
        upserted, errors = [], []
        for index, spec in enumerate(command.get("updates", [])):
            query, update = spec.get("q") or {}, spec["u"]
            options = {"upsert": spec.get("upsert", False)}
            if spec.get("arrayFilters"):
                options["array_filters"] = spec["arrayFilters"]
            try:
                if not any(key.startswith("$") for key in update):
                    result = collection.replace_one(query, update, upsert=options["upsert"])
                elif spec.get("multi"):
                    result = collection.update_many(query, update, **options)
                else:
                    result = collection.update_one(query, update, **options)
            except DuplicateKeyError as exc:
                errors.append({"index": index, "code": 11000, "errmsg": str(exc)})
                if command.get("ordered", True):
                    break
                continue
            n += result.matched_count
            modified += result.modified_count
            if result.upserted_id is not None:
                n += 1
                upserted.append({"index": index, "_id": result.upserted_id})
        reply: dict[str, Any] = {"n": n, "nModified": modified}
        if upserted:
            reply["upserted"] = upserted
        if errors:
            reply["writeErrors"] = errors
        return reply

    def cmd_delete(self, command: dict, db: Any) -> dict:
        collection = db[command["delete"]]
        n = 0
        for spec in command.get("deletes", []):
            query = spec.get("q") or {}
            result = collection.delete_one(query) if spec.get("limit") == 1 else collection.delete_many(query)
            n += result.deleted_count
        return {"n": n}

    def cmd_findandmodify(self, command: dict, db: Any) -> dict:
        collection = db[command["findAndModify"]]
        query = command.get("query") or {}
        sort = list(command["sort"].items()) if command.get("sort") else None
        fields = command.get("fields")
        existing = collection.find_one(query, sort=sort)
        if command.get("remove"):
            value = collection.find_one_and_delete(query, projection=fields, sort=sort)
            return {"lastErrorObject": {"n": int(value is not None)}, "value": value}
        update = command["update"]
        returning = ReturnDocument.AFTER if command.get("new") else ReturnDocument.BEFORE
        options = {"projection": fields, "sort": sort, "upsert": command.get("upsert", False),
                   "return_document": returning}
        if any(key.startswith("$") for key in update):
            value = collection.find_one_and_update(query, update, **options)
        else:
            value = collection.find_one_and_replace(query, update, **options)
        last: dict[str, Any] = {"n": 1 if existing is not None or options["upsert"] else 0,
                                "updatedExisting": existing is not None}
        if existing is None and options["upsert"]:
            upserted = value if value is not None else collection.find_one(query, sort=sort)
            last["upserted"] = (upserted or {}).get("_id")
        return {"lastErrorObject": last, "value": value}


# --- the wire protocol -----------------------------------------------------------------------
def _cstring(data: bytes, offset: int) -> tuple[str, int]:
    end = data.index(b"\0", offset)
    return data[offset:end].decode(), end + 1


def _parse_msg(body: bytes) -> dict[str, Any]:
    flags = struct.unpack_from("<I", body)[0]
    end = len(body) - (4 if flags & 1 else 0)
    offset, command = 4, None
    sequences: dict[str, list[dict]] = {}
    while offset < end:
        kind = body[offset]
        offset += 1
        if kind == 0:
            size = struct.unpack_from("<i", body, offset)[0]
            command = bson.decode(body[offset:offset + size], CODEC)
            offset += size
        else:
            size = struct.unpack_from("<i", body, offset)[0]
            section_end = offset + size
            identifier, cursor = _cstring(body, offset + 4)
            documents = []
            while cursor < section_end:
                doc_size = struct.unpack_from("<i", body, cursor)[0]
                documents.append(bson.decode(body[cursor:cursor + doc_size], CODEC))
                cursor += doc_size
            sequences[identifier] = documents
            offset = section_end
    assert command is not None
    command.update(sequences)
    return command


class Handler(socketserver.BaseRequestHandler):
    store: Store

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def handle(self) -> None:
        try:
            while True:
                length, request_id, _, opcode = struct.unpack("<iiii", self._read(16))
                body = self._read(length - 16)
                if opcode == OP_MSG:
                    reply = self.store.run(_parse_msg(body))
                    payload = struct.pack("<I", 0) + b"\0" + bson.encode(reply)
                    self._send(request_id, OP_MSG, payload)
                elif opcode == OP_QUERY:
                    _, offset = _cstring(body, 4)
                    size = struct.unpack_from("<i", body, offset + 8)[0]
                    query = bson.decode(body[offset + 8:offset + 8 + size], CODEC)
                    reply = self.store.run(query)
                    payload = struct.pack("<iqii", 0, 0, 0, 1) + bson.encode(reply)
                    self._send(request_id, OP_REPLY, payload)
                else:
                    return
        except (ConnectionError, OSError):
            return

    def _send(self, request_id: int, opcode: int, payload: bytes) -> None:
        header = struct.pack("<iiii", 16 + len(payload), request_id, request_id, opcode)
        self.request.sendall(header + payload)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(host: str = "127.0.0.1", port: int = 0) -> Server:
    handler = type("BoundHandler", (Handler,), {"store": Store()})
    return Server((host, port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27099)
    args = parser.parse_args()
    server = serve(args.host, args.port)
    print(f"mongomock wire server on mongodb://{args.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
