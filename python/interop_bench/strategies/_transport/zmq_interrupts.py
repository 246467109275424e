"""A Ctrl-C that pyzmq drops, raised again.

pyzmq checks for signals in every return code it checks, a Frame's deallocation
included (27.3: `_check_rc` calls PyErr_CheckSignals), and an exception raised
in a deallocation is printed ("Exception ignored in ... Frame.__dealloc__") and
dropped. A Ctrl-C that lands while a zero-copy send frees its Frame would be
lost, and the call go on as if nothing happened. `watch` chains a hook to
sys.unraisablehook that notes such a KeyboardInterrupt instead of printing it,
and `raise_dropped` (every wait of a ZmqRequester) raises it again.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable

_dropped = threading.Event()

Hook = Callable[["sys.UnraisableHookArgs"], object]


@functools.cache
def watch() -> None:
    """Note from now on every KeyboardInterrupt dropped inside pyzmq (once)."""
    sys.unraisablehook = _noting(sys.unraisablehook)


def _noting(previous: Hook) -> Hook:
    def hook(unraisable: sys.UnraisableHookArgs) -> object:
        if unraisable.exc_type is KeyboardInterrupt and "zmq" in str(unraisable.object):
            _dropped.set()
            return None
        return previous(unraisable)

    return hook


def raise_dropped() -> None:
    """KeyboardInterrupt if pyzmq dropped one since the last call."""
    if _dropped.is_set():
        _dropped.clear()
        raise KeyboardInterrupt
