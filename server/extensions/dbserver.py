"""The embedded database: a SecantusDB server process that gridhub starts, talks to over the
MongoDB wire protocol, and stops.

SecantusDB (PyPI `secantusdb`, GPL-2.0) is a separate program run as its own process; gridhub is
not linked with it and does not need it in production (set MONGODB_URI). It is an optional extra
(`pip install 'gridhub[embedded]'`) that `make run` and `make test` install.

- `gridhub run` without MONGODB_URI: a folder (GRIDHUB_DATA_DIR, default ./var/), the data
  surviving restarts; one server per folder (a lock file says who holds it).
- the test suite: `:memory:` storage, thrown away when the server stops.

Every way the server can fail to start is a `DatabaseServerError` with one line naming the
cause (no traceback): not installed, folder not writable, folder in use, port taken, or the
server's own last log line.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

EXECUTABLE = "secantusd-py"
LOCK_FILE = "gridhub.lock"
STORE = "db"  # the WiredTiger home inside the data folder
LOG_FILE = "db.log"


class DatabaseServerError(RuntimeError):
    """The embedded database server could not start (one line, for the console)."""


def uri_for(host: str, port: int) -> str:
    # retryWrites=false: SecantusDB keeps its retryable-write table in Python and prunes it on
    # every write (writes slowed from ~2 ms to 10–60 ms over a long run, issue 16); a
    # production MongoDB keeps pymongo's default.
    return f"mongodb://{host}:{port}/?directConnection=true&retryWrites=false"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _executable() -> str:
    """`secantusd-py` beside this interpreter (a venv not on PATH), else on PATH."""
    beside = Path(sys.executable).parent / EXECUTABLE
    if beside.exists():
        return str(beside)
    found = shutil.which(EXECUTABLE)
    if not found:
        raise DatabaseServerError(
            "the embedded database needs SecantusDB, which is not installed: "
            "pip install 'gridhub[embedded]' (or set MONGODB_URI to a MongoDB)")
    return found


try:
    _LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork
except OSError:  # pragma: no cover - not Linux
    _LIBC = None
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM if gridhub dies without stopping it (SIGKILL, a crash)."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class DatabaseServer:
    """One SecantusDB server process.

    `storage` is a data folder (the store in `<folder>/db`, its log in `<folder>/db.log`) or
    `":memory:"`. `port=0` picks a free loopback port.
    """

    def __init__(self, storage: str | os.PathLike, *, host: str = "127.0.0.1", port: int = 0,
                 env: dict[str, str] | None = None) -> None:
        self.memory = str(storage) == ":memory:"
        self.folder = None if self.memory else Path(storage).resolve()
        self.host = host
        self.port = port
        self.env = env
        self.process: subprocess.Popen | None = None
        self._lock = None
        self._log = None

    @property
    def uri(self) -> str:
        return uri_for(self.host, self.port)

    # -- the data folder -------------------------------------------------------------------

    def _take_folder(self, fresh: bool) -> None:
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = open(folder / LOCK_FILE, "a+")  # noqa: SIM115 - held until stop()
        except OSError as exc:
            raise DatabaseServerError(
                f"data folder {folder} is not writable ({exc.strerror}); "
                "set GRIDHUB_DATA_DIR to a folder you may write") from exc
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            lock.close()
            raise DatabaseServerError(
                f"data folder {folder} is in use by {holder}; stop it first, or set "
                "GRIDHUB_DATA_DIR to another folder") from exc
        lock.seek(0)
        lock.truncate()
        lock.write(f"gridhub (pid {os.getpid()})\n")
        lock.flush()
        self._lock = lock
        if fresh:
            shutil.rmtree(folder / STORE, ignore_errors=True)
            (folder / LOG_FILE).unlink(missing_ok=True)
        if not os.access(folder, os.W_OK):
            self._release_folder()
            raise DatabaseServerError(f"data folder {folder} is not writable; "
                                      "set GRIDHUB_DATA_DIR to a folder you may write")

    def _release_folder(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    # -- start and stop --------------------------------------------------------------------

    def start(self, *, fresh: bool = False, timeout: float = 60.0) -> str:
        """Start the server and wait until it answers a ping; return its URI."""
        executable = _executable()
        if self.port and not _port_free(self.host, self.port):
            raise DatabaseServerError(f"port {self.port} on {self.host} is taken; "
                                      "choose another with GRIDHUB_DB_PORT (0: any free port)")
        if self.memory:
            storage = ":memory:"
            handle, name = tempfile.mkstemp(prefix="gridhub-db-", suffix=".log")
            os.close(handle)
            self._log = Path(name)
        else:
            self._take_folder(fresh)
            storage, self._log = str(self.folder / STORE), self.folder / LOG_FILE
        self.port = self.port or free_port(self.host)
        with open(self._log, "ab") as log:
            self.process = subprocess.Popen(
                [executable, "--host", self.host, "--port", str(self.port),
                 "--storage-path", storage, "--log-level", "WARNING"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                preexec_fn=_die_with_parent)
        try:
            self._wait_until_ready(timeout)
        except DatabaseServerError:
            self.stop()
            raise
        return self.uri

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = MongoClient(self.uri, serverSelectionTimeoutMS=250, connectTimeoutMS=250)
        try:
            while True:
                if self.process.poll() is not None:
                    raise DatabaseServerError(self._why_it_exited())
                with contextlib.suppress(PyMongoError):
                    client.admin.command("ping")
                    return
                if time.monotonic() > deadline:
                    raise DatabaseServerError(
                        f"the database server did not answer within {timeout:.0f} s "
                        f"(log: {self._log})")
                time.sleep(0.1)
        finally:
            client.close()

    def _why_it_exited(self) -> str:
        text = self._log.read_text(encoding="utf-8", errors="replace")
        lines = [line for line in text.splitlines() if line.strip()]
        if any("already being managed by another process" in line for line in lines):
            return (f"data folder {self.folder} is in use by another database server; "
                    "stop it first, or set GRIDHUB_DATA_DIR to another folder")
        if any("Address already in use" in line for line in lines):
            return f"port {self.port} on {self.host} is taken"
        if any("Permission denied" in line for line in lines):
            return f"data folder {self.folder} is not writable"
        last = lines[-1].strip() if lines else f"exit status {self.process.returncode}"
        return f"the database server stopped at start: {last[:300]}"

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then wait (WiredTiger closes its files); SIGKILL only if it hangs."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._release_folder()
        if self.memory and self._log is not None:
            self._log.unlink(missing_ok=True)

    def __enter__(self) -> DatabaseServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
