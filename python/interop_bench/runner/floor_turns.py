"""Floors as turns of the rounds: the kernel alone, and the read / memcpy probes.

Each (label, size) group of a pass times the kernel core itself on the group's
own input array (the kernel of the input's own dtype; kernels::frame_to_gray
for frame), in the same shuffled rounds as the strategies, through
ib_floor_timer (harness/floor_timer.cpp), which loops natively between two
clock readings: "x kernel" is then a ratio of two medians taken in the same
process, on the same buffer, seconds apart. The probes (an integer read of
the same bytes, a memcpy of as many) do the same for the bandwidth lines of
the report, at every size of the first label, so the roofline is a curve of the
working-set size and never a number from another moment.

They are cells like the strategies' (names below), recorded with family
"floor": the report draws them as floors, `compare` compares them like any
cell (a floor that moved says the machine changed, not the code).
"""

from __future__ import annotations

from time import perf_counter_ns
from types import ModuleType

import numpy as np

from interop_bench import native
from interop_bench.ops import WrongAnswerError
from interop_bench.results_file import KERNEL, MEMCPY_PROBE, READ_PROBE
from interop_bench.runner.workload import Workload, sum_of_chunks

PROBES = (READ_PROBE, MEMCPY_PROBE)
EXTENSION = "ib_floor_timer"


def timer_module() -> ModuleType:
    """ib_floor_timer, or NativeUnavailableError naming how to build it."""
    return native.extension(EXTENSION)


def fresh_output(like: np.ndarray) -> np.ndarray:
    """Where a timed kernel writes: a new array, allocated and made resident
    before the clock starts, so the kernel's time holds neither the allocation
    nor the page faults of a result (those are the strategies' own cost), and its
    memory is in the state a strategy's result is in: the allocator's block that
    the previous result freed. One private output kept for a whole group was
    cold whenever its turn came, and every binding read 0.73x "the kernel" at
    24 MB; a fresh one left unwritten would put the page faults in the floor."""
    out = np.empty_like(like)
    out.fill(0)
    return out


class KernelBound:
    """The kernel core alone on a workload's input, timed natively."""

    python_loop = False

    def __init__(self, workload: Workload, timer: ModuleType) -> None:
        self.workload = workload
        self._timer = timer
        # The output of scale's and frame's check; the timed calls write into fresh_output().
        self._out = self._output() if workload.op in ("scale", "frame") else None
        self._pool: np.ndarray | None = None

    def _output(self) -> np.ndarray:
        """An array of the shape and dtype the op writes: the input's for scale,
        H x W gray for frame."""
        source = self.workload.source
        if self.workload.op == "frame":
            return np.zeros(source.shape[:2], np.uint8)
        return np.zeros_like(source)

    def check(self) -> int:
        """One call, timed alone (like a strategy's), then checked against NumPy."""
        workload, timer = self.workload, self._timer
        if workload.op == "square":
            copy = workload.source.copy()
            begin = perf_counter_ns()
            timer.square(copy)
            call_ns = perf_counter_ns() - begin
            workload.expected.check(copy)
            return call_ns
        begin = perf_counter_ns()
        if workload.op == "scale":
            got = timer.scale(workload.source, workload.factor, self._out)
        elif workload.op == "frame":
            got = timer.frame(workload.source, self._out)
        elif workload.op == "sum":
            got = timer.sum(workload.source)
        else:
            got = timer.matrix_sum(workload.source)
        call_ns = perf_counter_ns() - begin
        workload.expected.check(self._out if self._out is not None else got)
        return call_ns

    def sample_ns(self, calls: int) -> int:
        workload, timer = self.workload, self._timer
        if workload.op == "sum":
            return int(timer.time_sum(workload.source, calls))
        if workload.op == "matrix_sum":
            return int(timer.time_matrix_sum(workload.source, calls))
        if workload.op == "scale":
            out = fresh_output(workload.source)
            return int(timer.time_scale(workload.source, workload.factor, out, calls))
        if workload.op == "frame":
            assert self._out is not None
            gray = fresh_output(self._out)
            return int(timer.time_frame(workload.source, gray, calls))
        # square: fresh copies written just before the clock starts, as for the strategies
        return sum_of_chunks(calls, workload.pool_rows(), self._square_rows)

    def _square_rows(self, calls: int) -> int:
        workload = self.workload
        if self._pool is None or self._pool.shape[0] < calls:
            self._pool = np.empty((calls, workload.size), workload.source.dtype)
        rows = self._pool[:calls]
        rows[...] = workload.source
        return int(self._timer.time_square_rows(rows))

    def release(self) -> None:
        self._pool = None


class ProbeBound:
    """A bandwidth probe over the bytes of a workload's input: `read-probe` ORs
    them as integers (no kernel code), `memcpy-probe` copies them."""

    python_loop = False

    def __init__(self, kind: str, workload: Workload, timer: ModuleType) -> None:
        if kind not in PROBES:
            raise ValueError(f"unknown probe {kind!r}; known: {', '.join(PROBES)}")
        self.kind = kind
        self._timer = timer
        self._bytes = workload.source.reshape(-1).view(np.uint8)
        # The read probe ORs whole 64-bit words: the input's bytes but a last
        # partial word (a 1-element uint8 input has no word at all, an empty read).
        self._words = self._bytes[: self._bytes.size // 8 * 8].view(np.uint64)
        self._copy = np.zeros_like(self._bytes) if kind == MEMCPY_PROBE else None  # the check's

    def check(self) -> int:
        begin = perf_counter_ns()
        if self.kind == READ_PROBE:
            got = int(self._timer.read(self._words))
        else:
            self._timer.time_memcpy(self._bytes, self._copy, 1)
        call_ns = perf_counter_ns() - begin
        if self.kind == READ_PROBE:
            expected = int(np.bitwise_or.reduce(self._words)) if self._words.size else 0
            if got != expected:
                raise WrongAnswerError(f"read probe ORed {got:#x}, NumPy says {expected:#x}")
        elif self._copy is None or not np.array_equal(self._bytes, self._copy):
            raise WrongAnswerError("memcpy probe: the copy differs from its source")
        return call_ns

    def sample_ns(self, calls: int) -> int:
        if self.kind == READ_PROBE:
            return int(self._timer.time_read(self._words, calls))
        return int(self._timer.time_memcpy(self._bytes, fresh_output(self._bytes), calls))

    def release(self) -> None:
        """Nothing per turn: each sample has a fresh destination."""


# Their entries in a results file's `strategies` block (the report's families).
FACTS = {
    KERNEL: {"family": "floor", "copies_in": "zero-copy", "copies_out": "zero-copy"},
    READ_PROBE: {"family": "floor", "copies_in": "zero-copy", "copies_out": "zero-copy"},
    MEMCPY_PROBE: {"family": "floor", "copies_in": "copy", "copies_out": "copy"},
}
