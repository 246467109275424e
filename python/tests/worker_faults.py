"""Helpers of the worker-process fault tests (test_ipc.py, test_more_strategies.py).

No timers and no sleeps: a stalling worker says it has started stalling through
a FIFO, and the fault (a kill, a Ctrl-C) is injected when it has; a process's
end is waited for with a pidfd, which becomes readable when it exits.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable
from pathlib import Path

# Waiting for a process that should already be on its way out: a bound, not a pace.
EXIT_TIMEOUT_S = 30.0


def gone(pid: int) -> bool:
    """Whether no process `pid` exists any more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_gone(pid: int) -> bool:
    """Wait until process `pid` has exited (any process: not only a child); whether it has."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], EXIT_TIMEOUT_S)
        return bool(readable) or gone(pid)
    finally:
        os.close(fd)


def stall_fifo(directory: Path) -> Path:
    """A new FIFO for a worker's --stall-fifo."""
    path = directory / "stalled.fifo"
    os.mkfifo(path)
    return path


def when_stalled(fifo: Path, action: Callable[[], None]) -> threading.Thread:
    """Run `action` on a thread as soon as the worker says, through `fifo`, that a
    call has started stalling."""

    def wait_then_act() -> None:
        with open(fifo) as told:  # blocks until the worker opens it to write
            told.read()
        action()

    thread = threading.Thread(target=wait_then_act, daemon=True)
    thread.start()
    return thread
