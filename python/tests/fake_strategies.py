"""Strategy doubles for the tests that run `interop-bench run` in a subprocess:
registered through INTEROP_BENCH_EXTRA_STRATEGIES, with this folder on PYTHONPATH.

They coordinate with the test through a FIFO (IB_TEST_FIFO) and a counter file
(IB_TEST_COUNTER), never through sleeps: each measuring process opens the
strategy once, so the counter tells which pass is starting.
"""

from __future__ import annotations

import os

import numpy as np

from interop_bench.strategies.numpy import NumpyStrategy


def _opened() -> int:
    """Count this open in the counter file; the count so far (1 in pass 0)."""
    path = os.environ["IB_TEST_COUNTER"]
    with open(path, "a+") as counter:
        counter.write("open\n")
        counter.seek(0)
        return len(counter.readlines())


class SignalsInPass1(NumpyStrategy):
    """Says "pass 1 has started" through the FIFO when the second process opens it."""

    name = "signals-in-pass-1"

    def _open(self) -> None:
        if _opened() == 2:
            with open(os.environ["IB_TEST_FIFO"], "w") as fifo:
                fifo.write("pass 1 started\n")


class DiesInPass1(NumpyStrategy):
    """Kills its own measuring process at its first sum of pass 1, as a segfault would."""

    name = "dies-in-pass-1"

    def _open(self) -> None:
        self.pass_index = _opened() - 1

    def sum(self, a: np.ndarray) -> float:
        if self.pass_index == 1:
            os._exit(9)
        return float(a.sum())


class Float64Only(NumpyStrategy):
    """A strategy that carries float64 and no frames, as one added from outside
    the package may: its other cells must be recorded as errors, the run going on."""

    name = "float64-only"

    def sum(self, a: np.ndarray) -> float | int:
        return super().sum(_float64(a))

    def square(self, a: np.ndarray) -> None:
        super().square(_float64(a))

    def matrix_sum(self, m: np.ndarray) -> float | int:
        return super().matrix_sum(_float64(m))

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        return super().scale(_float64(a), k)

    def frame(self, image: np.ndarray) -> np.ndarray:
        raise TypeError(f"strategy {self.name!r} does not carry frames")


def _float64(a: np.ndarray) -> np.ndarray:
    if a.dtype != np.float64:
        raise TypeError(f"expected dtype float64, got {a.dtype}")
    return a


class FrameWorkerDies(NumpyStrategy):
    """Its frames fail from the 5th on, as a worker killed mid-stream makes them."""

    name = "frame-worker-dies"

    def _open(self) -> None:
        self.frames = 0

    def frame(self, image: np.ndarray) -> np.ndarray:
        self.frames += 1
        if self.frames > 4:
            raise ConnectionError("frame-worker-dies: its worker (pid 0) is gone")
        return super().frame(image)
