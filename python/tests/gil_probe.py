"""Whether a call lets other Python threads run, decided by events.

An observer thread needs the GIL for a line of Python; the call makes it
possible or not, and a bounded wait on an event tells which.

- A call whose work runs in another process (`released_while_the_worker_waits`):
  the interpreter's switch interval is raised far above any test's length, so
  the GIL changes hands only where the caller releases it on purpose. The
  worker is stopped (SIGSTOP) before the call, so the call cannot end until it
  is continued, and only the observer continues it, through a watchdog
  process: the observer writes one byte to the watchdog, which continues the
  worker. If the call holds the GIL, the observer never runs, the watchdog's
  bounded wait for that byte times out, it continues the worker itself and
  says so: a held GIL is a timeout, never a lost race.
- A call in this process (`released_at_kernel_entry`): the kernel core's
  entry hook stops the call's first kernel at a gate (gil_gate.py) until the
  observer has run; the observer waits for that entry without the GIL, then
  needs the GIL back to say it ran. If the caller holds the GIL, the gate's
  bounded wait times out. The switch interval plays no part: the only GIL
  hand-over that counts happens while the calling thread waits in the kernel.
  A call that never enters the kernel core (`released_at_first_read`) stops
  the same way where it first reads a protected page of its input.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import gil_gate

# Far above any test's length: a thread switch needs a blocking call to release the GIL.
SWITCH_INTERVAL_S = 1000.0
# How long the watchdog waits for the observer before it continues the worker itself.
WATCHDOG_TIMEOUT_S = 60.0
# How long a kernel waits at the gate for the observer before it says "held".
GATE_TIMEOUT_S = 60.0

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


def released_at_kernel_entry(call: Callable[[], object], timeout_s: float = GATE_TIMEOUT_S) -> bool:
    """Whether the GIL was free while `call`'s first kernel call waited at the gate.

    Raises if `call` never entered a kernel of the core through the gate: a
    module that does not bind the hook must fail here, not pass."""
    gate = gil_gate.load()
    gate.gil_gate_arm(timeout_s)
    return _released_at_the_gate(gate, call, "the kernel core's entry hook")


def released_at_first_read(
    call: Callable[[], object], address: int, timeout_s: float = GATE_TIMEOUT_S
) -> bool:
    """Whether the GIL was free when `call` first read the memory page at `address`
    (a call that never enters the kernel core). The page is one of the call's
    input only, and not its first: a library may read a first value before it
    releases the GIL for the loop over the rest."""
    gate = gil_gate.load()
    if gate.gil_gate_arm_page(address, timeout_s) != 0:
        raise OSError(ctypes.get_errno(), "cannot protect the page to probe")
    return _released_at_the_gate(gate, call, "the protected page")


def _released_at_the_gate(gate: ctypes.CDLL, call: Callable[[], object], gate_name: str) -> bool:
    def observe() -> None:
        if gate.gil_gate_await_entry():  # through ctypes: waits without the GIL
            gate.gil_gate_observer_ran()  # needs the GIL back first

    observer = threading.Thread(target=observe, daemon=True)
    observer.start()
    try:
        call()
    finally:
        outcome = gil_gate.Outcome(gate.gil_gate_disarm())
        observer.join()
    assert outcome is not gil_gate.Outcome.NEVER_ENTERED, (
        f"the call never stopped at {gate_name}: a module that does not bind "
        "ib_test_kernel_entered (loaded before the gate?), or a call that never gets there"
    )
    return outcome is gil_gate.Outcome.OBSERVED
