"""One (label, size): its input, NumPy's answer, and the timed loops that call a strategy.

A workload is named by its label (ops.label: "sum", "sum:uint8", "frame"): the
op and the element type of its input. `frame`'s size is the bytes of its
H x W x 3 image, so payload bytes are size x the dtype's bytes for every label.

The timed region holds the calls and nothing else: inputs are made before the
clock starts, the bound method is looked up once, and results are dropped as
a caller would drop them (scale's new array is freed inside the loop, which is
part of what scale costs).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from itertools import repeat
from time import perf_counter_ns
from typing import Any, Protocol

import numpy as np

from interop_bench import ops
from interop_bench.ops import WrongAnswerError
from interop_bench.strategies import Strategy

# `square` works in place, so each call needs a fresh copy of the input:
# squaring the same values again drives them towards zero and into denormals,
# which are far slower. A sample's copies are one block (the pool), refilled
# before the clock starts. The pool is capped so that it stays in a typical L2
# after the refill: the read-only ops call on one array that stays cache-hot,
# and the native floor reuses one buffer too, so square's copies should be as
# hot as theirs. A sample that needs more calls than the pool holds is timed in
# chunks of the pool, each refilled before its own clock starts (sum_of_chunks),
# so that it still lasts the sample target (a chunk is >= 256 KiB of squaring,
# >= ~10 µs, so each chunk's two clock readings cost well under 1%).
SQUARE_POOL_MAX_BYTES = 512 << 10

Call = Callable[..., Any]


def _loop_same(fn: Call, arg: Any, calls: int) -> int:
    iterations = repeat(None, calls)
    start = perf_counter_ns()
    for _ in iterations:
        fn(arg)
    return perf_counter_ns() - start


def _loop_same_factor(fn: Call, arg: Any, factor: float | int, calls: int) -> int:
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


def sum_of_chunks(calls: int, rows: int | None, timed: Callable[[int], int]) -> int:
    """`timed(n)` (n calls' nanoseconds) over `calls` calls, in chunks of at most
    `rows` (square's pool; None: one chunk), each prepared outside its own clock."""
    if rows is None or calls <= rows:
        return timed(calls)
    full, rest = divmod(calls, rows)
    return sum(timed(rows) for _ in range(full)) + (timed(rest) if rest else 0)


def identity(label: str, size: int) -> dict[str, Any]:
    """What names a cell in a record and in the results file: "op" (the label),
    "dtype", "size", "bytes", and a frame's "resolution" (its name, or None),
    "width" and "height". ValueError for a label or frame size that is not one."""
    op, dtype = ops.parse_label(label)
    fields: dict[str, Any] = {
        "op": label,
        "dtype": dtype,
        "size": size,
        "bytes": ops.payload_bytes(size, dtype),
    }
    if op == "frame":
        height, width = ops.frame_shape(size)
        fields |= {"resolution": ops.resolution_of(size), "width": width, "height": height}
    return fields


def _bits(values: np.ndarray) -> np.ndarray:
    """The values as unsigned integers of their own width: compared exactly and
    NaN-safe, cheaper than a float comparison with equal_nan."""
    return values.view(np.dtype(f"u{values.dtype.itemsize}"))


class Workload:
    """The input of one label at one size, shared by every strategy of a size group."""

    def __init__(self, label: str, size: int, seed: int) -> None:
        self.label = label
        self.op, self.dtype = ops.parse_label(label)
        self.size = size
        self.identity = identity(label, size)
        self.payload_bytes: int = self.identity["bytes"]
        self.factor = ops.scale_factor(self.dtype)
        self.source = ops.make_input(self.op, size, seed, self.dtype)
        # What the input must still hold after a read-only call.
        self.pristine = self.source.copy()

    @functools.cached_property
    def expected(self) -> ops.Expected:
        """NumPy's answer, computed on first use and shared by every check."""
        return ops.Expected.of(self.op, self.pristine)

    @property
    def in_place(self) -> bool:
        return self.op == "square"

    def pool_rows(self) -> int | None:
        """The copies square's pool holds (None: no pool, every op but square)."""
        if not self.in_place:
            return None
        return max(1, SQUARE_POOL_MAX_BYTES // max(self.payload_bytes, 1))

    def bind(self, strategy: Strategy) -> BoundWorkload:
        return BoundWorkload(self, strategy)


class Bound(Protocol):
    """A workload bound to what is timed on it: a strategy, or a floor turn
    (the kernel alone, a bandwidth probe; runner/floor_turns.py)."""

    # Whether the sample's loop is the Python loop whose empty cost
    # (environment.timer.loop_overhead_ns) is subtracted from each call.
    python_loop: bool

    def check(self) -> int:
        """One call, its answer checked (WrongAnswerError); its nanoseconds."""
        ...

    def sample_ns(self, calls: int) -> int:
        """Nanoseconds for `calls` calls on prepared inputs."""
        ...

    def release(self) -> None:
        """Free what a turn allocated (square's pool)."""
        ...


class BoundWorkload:
    """A workload placed for one strategy: its input where the strategy reads
    it best (Strategy.prepare, outside timing), its method looked up once."""

    python_loop = True

    def __init__(self, workload: Workload, strategy: Strategy) -> None:
        self.workload = workload
        self.strategy = strategy
        self.fn: Call = getattr(strategy, workload.op)
        # Square places a fresh pool per turn instead (see sample_ns).
        self._placed = None if workload.in_place else strategy.prepare(workload.source)
        self._pool: np.ndarray | None = None
        self._pool_rows: list[np.ndarray] = []

    def fresh_args(self) -> tuple[Any, ...]:
        """Arguments for one call outside the timed loops (check, memory, phases)."""
        workload = self.workload
        if workload.in_place:
            return (self.strategy.prepare(workload.source.copy()),)
        if workload.op == "scale":
            return (self._placed, workload.factor)
        return (self._placed,)

    def check(self) -> int:
        """One call compared with NumPy; raises WrongAnswerError (or what the
        strategy raised). Returns the call's nanoseconds: a first, cold call,
        so an upper estimate of what a call costs."""
        pristine = self.workload.pristine
        args = self.fresh_args()
        begin = perf_counter_ns()
        got = self.fn(*args)
        call_ns = perf_counter_ns() - begin
        if self.workload.in_place:
            self.workload.expected.check(args[0], "square (the caller's array)")
        else:
            self.workload.expected.check(got)
        placed = self._placed
        if placed is not None and not np.array_equal(_bits(placed), _bits(pristine)):
            placed[...] = pristine  # the next strategy gets the right input
            self.workload.source[...] = pristine
            raise WrongAnswerError(f"{self.workload.label} modified its input array")
        return call_ns

    def sample_ns(self, calls: int) -> int:
        """Nanoseconds for `calls` calls on prepared inputs."""
        return sum_of_chunks(calls, self.workload.pool_rows(), lambda n: self.prepared(n)())

    def prepared(self, calls: int) -> Callable[[], int]:
        """`calls` calls with nothing left to do but make them (square's fresh copies
        already written): run it for their nanoseconds. The instruction counter
        (runner/instructions.py) counts exactly what it runs."""
        fn, workload = self.fn, self.workload
        if workload.op == "scale":
            return functools.partial(_loop_same_factor, fn, self._placed, workload.factor, calls)
        if self._placed is not None:
            return functools.partial(_loop_same, fn, self._placed, calls)
        if self._pool is None or self._pool.shape[0] < calls:
            pool = np.empty((calls, workload.size), workload.source.dtype)
            self._pool = self.strategy.prepare(pool)
            self._pool_rows = list(self._pool)
        self._pool[:calls] = self.workload.source  # fresh values, written just now: cache-hot
        return functools.partial(_loop_each, fn, self._pool_rows[:calls])

    def release(self) -> None:
        """Free square's pool between turns, so that only one cell's pool is alive."""
        self._pool = None
        self._pool_rows = []
