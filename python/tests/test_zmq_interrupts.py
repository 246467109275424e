"""A Ctrl-C that pyzmq drops in a Frame's deallocation is raised by the next wait.

Deterministic: the interrupt is made pending and the Frame freed in one C-level
sequence (map over C callables), so the first signal check after the interrupt
is pyzmq's, inside the deallocation, as when a real Ctrl-C lands there.
"""

from __future__ import annotations

import ctypes
import operator

import pytest
import zmq

from interop_bench import ops
from interop_bench.strategies._transport import zmq_interrupts
from interop_bench.strategies.zmq import ZmqStrategy


def drop_an_interrupt_in_a_frames_deallocation() -> None:
    holder = [zmq.Frame(b"x" * 1000)]
    list(map(operator.call, [ctypes.pythonapi.PyErr_SetInterrupt, holder.clear]))


def test_pyzmq_drops_an_interrupt_that_lands_in_a_frames_deallocation() -> None:
    # What the module exists for (pyzmq 27.3): nothing raises here, and without
    # the hook the Ctrl-C would be gone for good.
    zmq_interrupts.watch()
    drop_an_interrupt_in_a_frames_deallocation()
    with pytest.raises(KeyboardInterrupt):
        zmq_interrupts.raise_dropped()
    zmq_interrupts.raise_dropped()  # raised once, not again


def test_a_call_after_a_dropped_interrupt_raises_it_and_closes() -> None:
    strategy = ZmqStrategy()
    strategy.open()
    try:
        values = ops.make_vector(10)
        ops.check_sum(strategy.sum(values), values)
        drop_an_interrupt_in_a_frames_deallocation()
        with pytest.raises(KeyboardInterrupt):
            strategy.sum(values)
        assert not strategy.is_open
    finally:
        strategy.close()
