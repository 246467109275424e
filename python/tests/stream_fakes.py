"""Strategy doubles for whole stream runs (registered through
INTEROP_BENCH_EXTRA_STRATEGIES in the measuring processes)."""

from __future__ import annotations

import os

import numpy as np

from interop_bench.strategies.numpy import NumpyStrategy

# Frames larger than this kill the measuring process, as a crash in native code would.
DIES_ABOVE_PIXELS = 640 * 480


class ProcessDiesAboveVga(NumpyStrategy):
    """Carries vga frames; a larger frame ends its whole process at once."""

    name = "process-dies"

    def frame(self, image: np.ndarray) -> np.ndarray:
        if image.shape[0] * image.shape[1] > DIES_ABOVE_PIXELS:
            os._exit(9)
        return super().frame(image)
