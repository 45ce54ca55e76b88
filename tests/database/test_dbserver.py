"""The embedded database server: started, stopped, kept across restarts, and every way it can
fail to start is one line naming the cause."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pymongo import MongoClient

from server.extensions.dbserver import DatabaseServer, DatabaseServerError
from tests.clock import clock_free_env

GRIDHUB = str(Path(sys.executable).parent / "gridhub")


def server_on(folder, **kwargs) -> DatabaseServer:
    return DatabaseServer(folder, env=clock_free_env(), **kwargs)


def test_data_written_before_a_stop_is_there_after_the_next_start(tmp_path):
    first = server_on(tmp_path)
    with MongoClient(first.start()) as client:
        client.gridhub.cases.insert_one({"code": "371083-20261201-000001"})
    first.stop()
    second = server_on(tmp_path)
    with MongoClient(second.start()) as client:
        assert client.gridhub.cases.find_one({}, {"_id": 0}) == {"code": "371083-20261201-000001"}
    second.stop()


def test_a_second_server_on_the_same_folder_is_refused_naming_the_holder(tmp_path):
    first = server_on(tmp_path)
    first.start()
    try:
        with pytest.raises(DatabaseServerError, match=rf"data folder {tmp_path} is in use by "
                                                      rf"gridhub \(pid {os.getpid()}\)"):
            server_on(tmp_path).start()
    finally:
        first.stop()


def test_a_folder_that_cannot_be_created_is_refused_in_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatabaseServerError, match="is not writable"):
        server_on(tmp_path / "file" / "data").start()


def test_a_taken_port_is_refused_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(DatabaseServerError, match=f"port {port} on 127.0.0.1 is taken"):
            server_on(tmp_path, port=port).start()
    assert not (tmp_path / "db").exists()


def test_a_second_gridhub_run_on_the_same_data_folder_says_so_in_one_line(tmp_path):
    holder = server_on(tmp_path)
    holder.start()
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    try:
        ran = subprocess.run([GRIDHUB, "run", "--port", "1"], capture_output=True, text=True,
                             timeout=60, env={**clock_free_env(), **env,
                                              "GRIDHUB_DATA_DIR": str(tmp_path)})
    finally:
        holder.stop()
    assert ran.returncode == 1
    assert ran.stderr.strip() == (f"Error: data folder {tmp_path} is in use by gridhub "
                                  f"(pid {os.getpid()}); stop it first, or set GRIDHUB_DATA_DIR "
                                  "to another folder")
