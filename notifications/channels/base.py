"""What every delivery channel shares: the outcome of one attempt, and the channel protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Outcome:
    status: Literal["sent", "retry", "failed"]
    error: str | None = None
    retry_after: float | None = None  # seconds the service asked us to wait
    delivered: tuple[str, ...] = field(default=())  # devices reached (push)

    @classmethod
    def sent(cls, delivered: tuple[str, ...] = ()) -> Outcome:
        return cls("sent", delivered=delivered)


# Told during a long send which devices each notification (by index) has reached so far.
Progress = Callable[[dict[int, list[str]]], None]


class Channel(Protocol):
    def send(self, notifications: list[dict[str, Any]],
             progress: Progress | None = None) -> list[Outcome]: ...
