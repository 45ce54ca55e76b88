"""Helpers for tests that start gridhub processes of their own."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest


def wait_ready(base: str, diagnosis: Callable[[], str], timeout: float = 60) -> None:
    """Wait until `base/readyz` answers; fail the test with `diagnosis()` (a log) if it does not."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(base + "/readyz", timeout=2)
            return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                pytest.fail(f"{base} did not get ready:\n{diagnosis()}")
            time.sleep(0.2)
