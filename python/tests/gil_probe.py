"""Whether a call lets other Python threads run, decided by events.

An observer thread needs the GIL for a line of Python. The interpreter's
switch interval is raised far above any test's length, so the GIL changes
hands only where the caller releases it on purpose.

- A call whose work runs in another process (`released_while_the_worker_waits`):
  the worker is stopped (SIGSTOP) before the call, so the call cannot end until
  it is continued, and only the observer continues it, through a watchdog
  process: the observer writes one byte to the watchdog, which continues the
  worker. If the call holds the GIL, the observer never runs, the watchdog's
  bounded wait for that byte times out, it continues the worker itself and
  says so: a held GIL is a timeout, never a lost race.
- A call in this process (`released_during_one_of`): calls are repeated until
  the observer has run during one of them, or a bounded number of calls has
  passed. Nothing here can make an in-process kernel wait, so the event is
  the observer running while a call is under way, whichever call that is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

# Far above any test's length: a thread switch needs a blocking call to release the GIL.
SWITCH_INTERVAL_S = 1000.0
# How long the watchdog waits for the observer before it continues the worker itself.
WATCHDOG_TIMEOUT_S = 60.0
# The calls an in-process probe makes at the most before it says "held".
MAX_CALLS = 200

# The watchdog: waits (bounded) for a byte on stdin, continues the stopped
# worker either way, and prints whether the byte came.
_WATCHDOG = """
import os, select, signal, sys
pids, timeout_s = [int(p) for p in sys.argv[1].split(",")], float(sys.argv[2])
ready, _, _ = select.select([sys.stdin], [], [], timeout_s)
for pid in pids:
    os.kill(pid, signal.SIGCONT)
print("released" if ready else "timed out", flush=True)
"""


@contextmanager
def _high_switch_interval() -> Iterator[None]:
    previous_s = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        yield
    finally:
        sys.setswitchinterval(previous_s)


def released_while_the_worker_waits(
    call: Callable[[], object],
    worker_pids: Sequence[int],
    timeout_s: float = WATCHDOG_TIMEOUT_S,
) -> bool:
    """Whether the observer ran during `call`, whose work the stopped workers do."""
    assert worker_pids, "the call's work must run in a worker process of this machine"
    watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, ",".join(map(str, worker_pids)), str(timeout_s)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert watchdog.stdin is not None and watchdog.stdout is not None
    go = threading.Event()
    call_over = False

    def observe() -> None:
        go.wait()
        if not call_over:  # after the call, the caller waits for the watchdog: no proof
            os.write(watchdog.stdin.fileno(), b"!")  # type: ignore[union-attr]

    observer = threading.Thread(target=observe, daemon=True)
    with _high_switch_interval():
        observer.start()
        for pid in worker_pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            go.set()  # the observer wakes, and needs the GIL the call must give up
            call()
        finally:
            call_over = True
            verdict = watchdog.stdout.readline().strip()
            watchdog.stdin.close()
            watchdog.wait()
            observer.join()
    assert verdict in ("released", "timed out"), verdict
    return verdict == "released"


def released_during_one_of(call: Callable[[], object], max_calls: int = MAX_CALLS) -> bool:
    """Whether the observer ran while one of up to `max_calls` calls was under way."""
    in_call = False
    stop = False
    seen = threading.Event()
    go = threading.Event()

    def observe() -> None:
        go.wait()  # then it needs the GIL, which only a releasing call gives up
        if not stop and in_call:
            seen.set()

    observer = threading.Thread(target=observe, daemon=True)
    with _high_switch_interval():
        observer.start()
        in_call = True
        go.set()
        try:
            for _ in range(max_calls):
                call()
                if seen.is_set():
                    break
        finally:
            in_call, stop = False, True
            observer.join()
    return seen.is_set()
