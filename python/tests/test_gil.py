"""Every strategy that says it lets other Python threads run during a long call
(`releases_gil`) really does, and the controls that keep the GIL really do not.

Decided by events (gil_probe.py): a strategy whose work runs in a worker
process is called with its worker stopped, and only a thread that needs the
GIL can have it continued; an in-process call stops at the kernel core's entry
until a thread that needs the GIL has run. A call that holds the GIL times out
a bounded wait in both."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable

import numpy as np
import pytest
from gil_probe import (
    released_at_first_read,
    released_at_kernel_entry,
    released_while_the_worker_waits,
)

from interop_bench import ops, strategies
from interop_bench.strategies._c_abi import library_path
from interop_bench.strategies.gil import release_threshold_elements

# Large: four times gil_policy.hpp's threshold (checked below). A call's length
# plays no part in a verdict, since the probed call waits for the observer.
LARGE_ELEMENTS = 1 << 17
SHORT_ELEMENTS = 1000
OUT_OF_PROCESS = ("ipc", "network")
# NumPy's own loops: no kernel of the core, so the probe stops the call where it reads.
NO_KERNEL_CORE = ("reference",)
# What the controls' gate and watchdog wait: they hold the GIL, so it always runs out.
CONTROL_TIMEOUT_S = 1.0

RELEASING = [n for n in strategies.names() if strategies.strategy_class(n).releases_gil != "never"]
# In-process strategies that release the GIL from the threshold on only.
RELEASING_LARGE = [
    n
    for n in RELEASING
    if strategies.strategy_class(n).releases_gil == "large"
    and strategies.strategy_class(n).family not in (*OUT_OF_PROCESS, *NO_KERNEL_CORE)
]


def gil_holding_sum() -> Callable[[np.ndarray], float]:
    """The same C kernel called through ctypes.PyDLL, which keeps the GIL: the control."""
    lib = ctypes.PyDLL(str(library_path()))
    lib.ib_sum.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.ib_sum.restype = ctypes.c_double

    def held_sum(a: np.ndarray) -> float:
        total: float = lib.ib_sum(a.ctypes.data, a.size)
        return total

    return held_sum


def test_the_probed_calls_are_large_enough_to_release_the_gil() -> None:
    threshold = release_threshold_elements()
    assert threshold is not None
    assert threshold <= LARGE_ELEMENTS


def test_a_call_that_never_enters_a_kernel_fails_the_probe() -> None:
    with pytest.raises(AssertionError, match="never stopped at the kernel core's entry hook"):
        released_at_kernel_entry(lambda: None)


def test_the_in_process_control_keeps_the_gil() -> None:
    large = ops.make_vector(LARGE_ELEMENTS, seed=5)
    held_sum = gil_holding_sum()
    assert not released_at_kernel_entry(lambda: held_sum(large), CONTROL_TIMEOUT_S)


def test_the_page_control_keeps_the_gil() -> None:
    """ctypes.string_at reads memory with the GIL held (a PYFUNCTYPE call)."""
    large = ops.make_vector(LARGE_ELEMENTS, seed=5)
    middle = _middle_address(large)
    assert not released_at_first_read(
        lambda: ctypes.string_at(middle, 8), middle, CONTROL_TIMEOUT_S
    )


def _middle_address(a: np.ndarray) -> int:
    """An address inside `a` whose page holds none of a library's first reads."""
    return int(a.ctypes.data) + a.nbytes // 2


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
    a = ops.make_vector(LARGE_ELEMENTS, seed=5)
    with strategies.get(name) as s:
        a = s.prepare(a)
        ops.check_sum(s.sum(a), a)
        if cls.family in OUT_OF_PROCESS:
            released = released_while_the_worker_waits(lambda: s.sum(a), s.worker_pids())
        elif cls.family in NO_KERNEL_CORE:
            released = released_at_first_read(lambda: s.sum(a), _middle_address(a))
        else:
            released = released_at_kernel_entry(lambda: s.sum(a))
    assert released, f"{name}: no other thread ran during its kernel"


@pytest.mark.parametrize("name", RELEASING_LARGE)
def test_a_short_call_keeps_the_gil(name: str) -> None:
    """Below the threshold the module keeps the GIL (gil_policy.hpp): the probe,
    the same module's hook and all, sees the difference."""
    with strategies.get(name) as s:
        a = s.prepare(ops.make_vector(SHORT_ELEMENTS, seed=5))
        assert not released_at_kernel_entry(lambda: s.sum(a), CONTROL_TIMEOUT_S)
