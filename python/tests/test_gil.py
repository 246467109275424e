"""Every strategy that says it lets other Python threads run during a long call
(`releases_gil`) really does, and the controls that keep the GIL really do not.

Decided by events (gil_probe.py): a strategy whose work runs in a worker
process is called with its worker stopped, and only a thread that needs the
GIL can have it continued; a call that holds the GIL times out a bounded wait.
An in-process call is repeated until another thread has run during one."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable

import numpy as np
import pytest
from gil_probe import released_during_one_of, released_while_the_worker_waits

from interop_bench import ops, strategies
from interop_bench.strategies._c_abi import library_path

# Long calls: far above gil_policy.hpp's threshold, milliseconds of work. The
# serializing strategies take a smaller array (a JSON encode of 1e7 values
# holds the GIL for seconds before its native call releases it).
LARGE_ELEMENTS = 10_000_000
OTHER_ELEMENTS = 1_000_000
OUT_OF_PROCESS = ("ipc", "network")
# What the controls' watchdog waits: they hold the GIL, so it always runs out.
CONTROL_TIMEOUT_S = 1.0

RELEASING = [n for n in strategies.names() if strategies.strategy_class(n).releases_gil != "never"]


def gil_holding_sum() -> Callable[[np.ndarray], float]:
    """The same C kernel called through ctypes.PyDLL, which keeps the GIL: the control."""
    lib = ctypes.PyDLL(str(library_path()))
    lib.ib_sum.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.ib_sum.restype = ctypes.c_double

    def held_sum(a: np.ndarray) -> float:
        total: float = lib.ib_sum(a.ctypes.data, a.size)
        return total

    return held_sum


def test_the_in_process_control_keeps_the_gil() -> None:
    large = ops.make_vector(LARGE_ELEMENTS, seed=5)
    held_sum = gil_holding_sum()
    assert not released_during_one_of(lambda: held_sum(large), max_calls=20)


def test_the_worker_control_keeps_the_gil() -> None:
    """A request to a stopped worker and the wait for its answer, both through
    ctypes.PyDLL (which keeps the GIL), are seen for what they are: the
    watchdog's wait runs out, then it continues the worker, which answers."""
    libc = ctypes.PyDLL(None, use_errno=True)
    for function in (libc.read, libc.write):
        function.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
        function.restype = ctypes.c_ssize_t
    request_r, request_w = os.pipe()
    answer_r, answer_w = os.pipe()
    worker = os.fork()
    if worker == 0:  # answers a request, once it runs
        os.read(request_r, 1)
        os.write(answer_w, b"x")
        os._exit(0)
    got = ctypes.create_string_buffer(1)

    def held_exchange() -> None:
        libc.write(request_w, b"?", 1)
        libc.read(answer_r, got, 1)

    try:
        assert not released_while_the_worker_waits(held_exchange, [worker], CONTROL_TIMEOUT_S)
        assert got.raw == b"x"
    finally:
        os.waitpid(worker, 0)
        for fd in (request_r, request_w, answer_r, answer_w):
            os.close(fd)


@pytest.mark.parametrize("name", RELEASING)
def test_a_long_call_lets_other_threads_run(name: str) -> None:
    cls = strategies.strategy_class(name)
    in_process = cls.family not in OUT_OF_PROCESS
    a = ops.make_vector(OTHER_ELEMENTS if cls.family == "serialization" else LARGE_ELEMENTS, seed=5)
    with strategies.get(name) as s:
        a = s.prepare(a)
        ops.check_sum(s.sum(a), a)
        if in_process:
            released = released_during_one_of(lambda: s.sum(a))
        else:
            released = released_while_the_worker_waits(lambda: s.sum(a), s.worker_pids())
    assert released, f"{name}: no other thread ran during its calls"
