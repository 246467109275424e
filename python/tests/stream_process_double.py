"""A double of the measuring process (stream/process.py): the same spec, pruning
and records, but each cell is streamed by the real pacer (stream/schedule.py,
with stream/cell.py's early stop) on a fake clock through a modelled strategy,
and its figures are stream/cell.py's own. Run as a script in place of the
measuring process (`STRATEGY=MS` arguments change a strategy's model);
nothing here reads a real clock."""

from __future__ import annotations

import os
import sys
from typing import Any

from test_stream import FakeClock

from interop_bench import ops
from interop_bench.stream import cell, process, schedule

# Milliseconds a frame at 1080p (scaled by the pixels): capi carries every load,
# pickle carries vga at 30 fps but not 720p (44 ms a frame against 33 ms), tcp
# keeps the vga rate (22 ms) but its stalls (89 ms) make it miss about 6% of
# the frames, and json takes 148 ms a vga frame: its stream stops early. The names are real
# strategies (the run looks up their depth limits); their frames are modelled.
MS_AT_1080P = {
    "kernel": 1.0, "capi": 2.0, "pickle": 100.0, "tcp": 150.0, "json": 1000.0, "pipe": 1000.0
}  # fmt: skip
# Where the measuring process dies (exit 9): pipe, as slow as json, at depth 2.
DIES_AT = {("pipe", 2)}
PIXELS_1080P = 1920 * 1080


def modelled(opened: dict[str, Any], raw: dict[str, Any], seed: int) -> dict[str, Any]:
    """A cell's record as stream/process.py's `_cell` returns it."""
    spec = cell.CellSpec(**raw)
    if (spec.strategy, spec.depth) in DIES_AT:
        os._exit(9)
    height, width = ops.RESOLUTIONS[spec.resolution]
    cost_ns = MS_AT_1080P[spec.strategy] * 1e6 * height * width / PIXELS_1080P
    clock = FakeClock()

    def call(index: int) -> None:
        # A few percent of jitter that differs between processes, and a stall now and then.
        jitter = 1 + 0.02 * ((index * 7 + seed) % 5) + (3.0 if index % 97 == seed % 97 else 0)
        clock.spend(round(cost_ns * jitter))

    outcome = schedule.run(
        call, spec.frames, spec.period_ns, spec.depth, clock, early_stop=cell.EARLY_STOP
    )
    figures = cell.figures(spec, outcome, len(outcome.frames) * round(cost_ns), None, None)
    return {"pass_seed": seed, **raw, "status": "ok", "reason": None} | figures


if __name__ == "__main__":
    # STRATEGY=MS arguments model another commit: e.g. `tcp=10` a faster tcp.
    for override in sys.argv[1:]:
        name, ms = override.split("=")
        MS_AT_1080P[name] = float(ms)
    process._cell = modelled
    sys.exit(process.main())
