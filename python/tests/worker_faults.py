"""Helpers of the worker-process fault tests (test_ipc.py, test_more_strategies.py)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

# How long after a call starts the fault (kill, Ctrl-C) is injected.
FAULT_DELAY_S = 0.3


def gone(pid: int) -> bool:
    """Whether no process `pid` exists any more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def later(action: Callable[[], None]) -> threading.Timer:
    """Run `action` FAULT_DELAY_S from now, on a timer thread."""
    timer = threading.Timer(FAULT_DELAY_S, action)
    timer.start()
    return timer
