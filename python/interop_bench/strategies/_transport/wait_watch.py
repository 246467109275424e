"""A deadline on each wait of a call that has none of its own: a long-lived
stream of pipelined frames (grpc-stream's Frames call, arrow-flight's frames
exchange) lasts as long as the stream, but no wait for one frame's answer may
last longer than the strategy's io_timeout_s. A watchdog thread cancels the
call when a wait has; the waiter then says it ran out of time. It looks every
quarter of that time, so no frame pays for the watch (no wake-up per frame)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from time import monotonic

_CHECKS_PER_TIMEOUT = 4


class WaitWatch:
    """Cancels with `cancel` a wait (between `begin` and `end`) that lasts
    `timeout_s`; `expired` says it did. `close` stops the watchdog."""

    def __init__(self, cancel: Callable[[], None], timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.expired = False
        self._cancel = cancel
        self._lock = threading.Lock()
        self._waiting_since: float | None = None
        self._closed = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="wait-watchdog")
        self._watchdog.start()

    def begin(self) -> None:
        with self._lock:
            self._waiting_since = monotonic()

    def end(self) -> None:
        with self._lock:
            self._waiting_since = None

    def _watch(self) -> None:
        while not self._closed.wait(self.timeout_s / _CHECKS_PER_TIMEOUT):
            with self._lock:
                since = self._waiting_since
                late = since is not None and monotonic() - since >= self.timeout_s
                self.expired |= late
            if late:
                self._cancel()

    def close(self) -> None:
        self._closed.set()
        self._watchdog.join()
