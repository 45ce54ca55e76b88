"""Per-process caches, in one registry.

`TTLCache` holds reference data read on every request (categories, calendars, SLA profiles,
users' token state): entries expire after `seconds`, so a change written through another
process is seen here within that time; the process that writes clears the cache at once.
Every per-process cache — these, the grid index, the signing-key ring, the verified-token
cache — registers itself here, so `clear_all()` forgets everything a process holds (tests call
it between tests, instead of knowing each cache).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

V = TypeVar("V")


class Clearable(Protocol):
    def clear(self) -> None: ...


_registry: weakref.WeakSet = weakref.WeakSet()
C = TypeVar("C", bound=Clearable)


def register(cache: C) -> C:
    """Add a per-process cache to the registry (held weakly); return it."""
    _registry.add(cache)
    return cache


def clear_all() -> None:
    """Forget what every registered cache of this process holds."""
    for cache in list(_registry):
        cache.clear()


class TTLCache(Generic[V]):
    def __init__(self, seconds: float, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.max_entries = max_entries  # keys sent by clients must not grow it forever
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, V]] = {}
        register(self)

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
