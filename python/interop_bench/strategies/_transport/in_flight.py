"""The frames a pipelined strategy has in flight: tickets handed out in order,
at most `limit` of them, each collected once and oldest first, so that a
result is never given to another frame. Its own lock: one thread submits while
another collects."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

Entry = TypeVar("Entry")


class InFlight(Generic[Entry]):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._entries: deque[tuple[int, Entry]] = deque()
        self._next_ticket = 0

    def admit(self, entry: Entry) -> int:
        """The next ticket, for `entry`; RuntimeError when `limit` are in flight."""
        with self._lock:
            if len(self._entries) >= self.limit:
                raise RuntimeError(
                    f"{self.limit} frames are in flight already: collect one before submitting"
                )
            ticket = self._next_ticket
            self._next_ticket += 1
            self._entries.append((ticket, entry))
            return ticket

    def oldest(self, ticket: int) -> Entry:
        """The entry of `ticket`, which must be the oldest in flight (not removed)."""
        with self._lock:
            if not self._entries:
                raise RuntimeError(f"frame {ticket} is not in flight: nothing is")
            oldest, entry = self._entries[0]
        if oldest != ticket:
            raise RuntimeError(
                f"frame {ticket} collected out of order: frame {oldest} is the oldest in flight"
            )
        return entry

    def done(self, ticket: int) -> None:
        """`ticket`, the oldest, is collected (or lost with its worker)."""
        with self._lock:
            if self._entries and self._entries[0][0] == ticket:
                self._entries.popleft()

    def clear(self) -> None:
        """Forget every frame in flight (their worker is gone)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def break_off(
    kill: Callable[[], None] | None, closing: threading.Lock, close: Callable[[], None]
) -> None:
    """Out of step with frames in flight: `kill` the worker or peer (None: not
    ours to kill), which ends the other thread's wait on it, and `close` the
    strategy, one closing thread at a time (`closing`), which cancels what is
    still waited on."""
    if kill is not None:
        kill()
    with closing:
        close()
