"""Every strategy that says it lets other Python threads run during a long call
(`releases_gil`) really does, and the control that keeps the GIL really does not.

No clock: another thread is woken just before each call and needs the GIL to
finish a few microseconds of Python; it can finish while the call is still
running only if the call released the GIL. The interpreter's switch interval
is raised above any call's length, so the GIL changes hands only where it is
released on purpose."""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable

import numpy as np
import pytest

from interop_bench import ops, strategies
from interop_bench.strategies._c_abi import library_path

# Long calls: far above gil_policy.hpp's threshold, milliseconds of work. The
# serializing strategies take a smaller array (a JSON encode of 1e7 values
# holds the GIL for seconds before its native call releases it). The IPC ones
# take the large one: on 2 cores, while the caller waits and the worker
# computes, the observer gets a core only when the scheduler takes one from
# them, and a call of 1e6 elements (~0.3 ms over shm) can end first.
LARGE_ELEMENTS = {"ffi": 10_000_000, "reference": 10_000_000, "ipc": 10_000_000}
LARGE_ELEMENTS["network"] = 10_000_000
OTHER_ELEMENTS = 1_000_000
SWITCH_INTERVAL_S = 10.0
OBSERVER_TURNS = 1000
ATTEMPTS = 5

RELEASING = [n for n in strategies.names() if strategies.strategy_class(n).releases_gil != "never"]


def calls_overlapped_by_another_thread(call: Callable[[], object]) -> int:
    """In how many of ATTEMPTS calls another Python thread ran OBSERVER_TURNS turns
    of Python code and finished while the call was still running."""
    in_call = False
    stop = False
    overlapped = 0
    go = threading.Event()
    done = threading.Event()

    def observe() -> None:
        nonlocal overlapped
        while True:
            go.wait()
            go.clear()
            if stop:
                return
            for _ in range(OBSERVER_TURNS):
                pass
            overlapped += in_call
            done.set()

    previous_interval_s = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    thread = threading.Thread(target=observe, daemon=True)
    thread.start()
    try:
        for _ in range(ATTEMPTS):
            done.clear()
            in_call = True
            go.set()
            call()
            in_call = False
            done.wait()
    finally:
        stop = True
        go.set()
        thread.join()
        sys.setswitchinterval(previous_interval_s)
    return overlapped


def gil_holding_sum() -> Callable[[np.ndarray], float]:
    """The same C kernel called through ctypes.PyDLL, which keeps the GIL: the control."""
    lib = ctypes.PyDLL(str(library_path()))
    lib.ib_sum.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.ib_sum.restype = ctypes.c_double

    def held_sum(a: np.ndarray) -> float:
        total: float = lib.ib_sum(a.ctypes.data, a.size)
        return total

    return held_sum


def test_the_control_keeps_the_gil() -> None:
    large = ops.make_vector(LARGE_ELEMENTS["ffi"], seed=5)
    held_sum = gil_holding_sum()
    assert calls_overlapped_by_another_thread(lambda: held_sum(large)) == 0


@pytest.mark.parametrize("name", RELEASING)
def test_a_long_call_lets_other_threads_run(name: str) -> None:
    cls = strategies.strategy_class(name)
    a = ops.make_vector(LARGE_ELEMENTS.get(cls.family, OTHER_ELEMENTS), seed=5)
    with strategies.get(name) as s:
        a = s.prepare(a)
        ops.check_sum(s.sum(a), a)
        released = calls_overlapped_by_another_thread(lambda: s.sum(a))
    assert released > ATTEMPTS // 2, f"{name}: another thread ran during {released} of {ATTEMPTS}"
