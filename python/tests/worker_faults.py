"""Helpers of the worker-process fault tests (test_ipc.py, test_more_strategies.py,
test_grpc.py, test_network.py...).

No timers and no sleeps: a stalling worker says it has started stalling through
a FIFO, and the fault (a kill, a Ctrl-C) is injected when it has; a process's
end is waited for with a pidfd, which becomes readable when it exits.
"""

from __future__ import annotations

import os
import re
import select
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from interop_bench import ops
from interop_bench.strategies._transport.worker import WorkerError
from interop_bench.strategies.base import Strategy

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


def check_a_stall_runs_into_the_deadline(
    strategy_class: Callable[..., Strategy], directory: Path, io_timeout_s: float = 0.2
) -> None:
    """A `strategy_class` (taking worker_flags and io_timeout_s) whose worker stalls
    for a minute in its first call: the call ends at the I/O deadline in a
    WorkerError that says so, and the strategy is closed."""
    fifo = stall_fifo(directory)
    flags = ("--fault=slow", f"--stall-fifo={fifo}")
    strategy = strategy_class(worker_flags=flags, io_timeout_s=io_timeout_s)
    strategy.open()
    told = when_stalled(fifo, lambda: None)  # the stall lasts a minute
    with pytest.raises(WorkerError, match=re.escape(f"no answer within {io_timeout_s:g} s")):
        strategy.sum(ops.make_vector(10))
    told.join()
    assert not strategy.is_open
