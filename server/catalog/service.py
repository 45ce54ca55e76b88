"""Category look-ups, cached briefly per process: the catalogue is reference data."""

from __future__ import annotations

import threading
import time

from server.catalog.models import Category
from server.errors import Unprocessable

# A category edited through another process is seen here within this many seconds.
CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, Category | None]] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def find(*, code: str) -> Category | None:
    """An active category by code, or None."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(code)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    category = Category.objects(code=code, active=True).first()
    with _lock:
        if len(_cache) > 10_000:  # unknown codes sent by clients must not grow it forever
            _cache.clear()
        _cache[code] = (now, category)
    return category


def leaf(*, code: str) -> Category:
    """An active 小类 a case may be filed under; 422 `unknown_category` otherwise."""
    category = find(code=code)
    if category is None or category.level != 2:
        raise Unprocessable("案件类别不存在或不可用（须为小类）", reason="unknown_category",
                            fields={"category": ["未知类别"]})
    return category
