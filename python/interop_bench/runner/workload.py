"""One (op, size): its input, NumPy's answer, and the timed loops that call a strategy.

The timed region holds the calls and nothing else: inputs are made before the
clock starts, the bound method is looked up once, and results are dropped as
a caller would drop them (scale's new array is freed inside the loop, which is
part of what scale costs).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from time import perf_counter_ns
from typing import Any

import numpy as np

from interop_bench import ops
from interop_bench.ops import Op, WrongAnswerError
from interop_bench.strategies import Strategy

# `square` works in place, so each call needs a fresh copy of the input:
# squaring the same values again drives them towards zero and into denormals,
# which are far slower. A sample's k copies are one block, refilled before
# the clock starts. The block is capped so that it stays in a typical L2 after
# the refill: the read-only ops call on one array that stays cache-hot, and
# the native floor reuses one buffer too, so square's copies should be as hot
# as theirs. Past 512 KiB a sample is a single call (>= tens of µs there, so
# the timer's ~50 ns still vanish).
SQUARE_POOL_MAX_BYTES = 512 << 10

Call = Callable[..., Any]


def empty_loop_ns(calls: int) -> int:
    """The timing loop with nothing in it: the cost subtracted from every sample."""
    iterations = repeat(None, calls)
    start = perf_counter_ns()
    for _ in iterations:
        pass
    return perf_counter_ns() - start


def _loop_same(fn: Call, arg: np.ndarray, calls: int) -> int:
    iterations = repeat(None, calls)
    start = perf_counter_ns()
    for _ in iterations:
        fn(arg)
    return perf_counter_ns() - start


def _loop_same_factor(fn: Call, arg: np.ndarray, factor: float, calls: int) -> int:
    iterations = repeat(None, calls)
    start = perf_counter_ns()
    for _ in iterations:
        fn(arg, factor)
    return perf_counter_ns() - start


def _loop_each(fn: Call, args: list[np.ndarray]) -> int:
    start = perf_counter_ns()
    for arg in args:
        fn(arg)
    return perf_counter_ns() - start


class Workload:
    """The input of one op at one size, shared by every strategy of a size group."""

    def __init__(self, op: Op, size: int, seed: int) -> None:
        self.op = op
        self.size = size
        self.payload_bytes = size * 8
        self.source = ops.make_input(op, size, seed)
        # The read-only ops share `source`; this copy tells whether a strategy wrote to it.
        self._pristine = self.source.copy()
        self._pool: np.ndarray | None = None
        self._pool_rows: list[np.ndarray] = []

    @property
    def in_place(self) -> bool:
        return self.op == "square"

    def max_calls_per_sample(self) -> int | None:
        """The cap on calls per sample (square's copies), None when unbounded."""
        return (
            max(1, SQUARE_POOL_MAX_BYTES // max(self.payload_bytes, 1)) if self.in_place else None
        )

    def bind(self, strategy: Strategy) -> Call:
        """The strategy's method for this op, looked up once."""
        fn: Call = getattr(strategy, self.op)
        return fn

    def fresh_args(self) -> tuple[Any, ...]:
        """Arguments for one call outside the timed loops (check, memory, phases)."""
        if self.op == "scale":
            return (self.source, ops.SCALE_FACTOR)
        return (self.source.copy(),) if self.in_place else (self.source,)

    def check(self, strategy: Strategy) -> None:
        """One call compared with NumPy; raises WrongAnswerError (or what the strategy raised)."""
        args = self.fresh_args()
        got = self.bind(strategy)(*args)
        if self.op in ("sum", "matrix_sum"):
            ops.check_sum(got, self._pristine)
        elif self.op == "scale":
            ops.check_array(got, self._pristine * ops.SCALE_FACTOR, "scale")
        else:
            ops.check_array(args[0], np.square(self._pristine), "square (the caller's array)")
        # Compared as bits: exact, NaN-safe and cheaper than a float comparison with equal_nan.
        if not self.in_place and not np.array_equal(
            self.source.view(np.uint64), self._pristine.view(np.uint64)
        ):
            self.source[...] = self._pristine  # the next strategy gets the right input
            raise WrongAnswerError(f"{self.op} modified its input array")

    def sample_ns(self, fn: Call, calls: int) -> int:
        """Nanoseconds for `calls` calls of `fn` on prepared inputs."""
        if self.op == "scale":
            return _loop_same_factor(fn, self.source, ops.SCALE_FACTOR, calls)
        if not self.in_place:
            return _loop_same(fn, self.source, calls)
        if self._pool is None or self._pool.shape[0] != calls:
            self._pool = np.empty((calls, self.size))
            self._pool_rows = list(self._pool)
        self._pool[...] = self.source  # fresh values, written just now: cache-hot
        return _loop_each(fn, self._pool_rows)

    def release(self) -> None:
        """Free square's pool between turns, so that only one cell's pool is alive."""
        self._pool = None
        self._pool_rows = []
