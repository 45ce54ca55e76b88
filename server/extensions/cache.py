"""A small per-process cache for reference data read on every request.

Entries expire after `seconds`, so a change written through another process is seen here
within that time; the process that writes clears the cache at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(self, seconds: float, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.max_entries = max_entries  # keys sent by clients must not grow it forever
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, V]] = {}

    def get(self, key: str, load: Callable[[], V]) -> V:
        """The cached value for `key`, or `load()` (cached too, None included)."""
        now = self._clock()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self.seconds:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
