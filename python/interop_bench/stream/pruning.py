"""Pass 0's pruning: a strategy that cannot carry a load is not run at a heavier one.

A cell's loss is the measurement that shows the strategy cannot keep up (its
achieved rate under KEEPS_UP_SHARE of the asked one) or its failure. A heavier
cell (same strategy and depth, a resolution and a rate no lighter) is then
recorded `skipped`, naming that measurement, instead of streamed: the evidence
is in the file, and the run's length stays bounded.

With `deeper_if_needed` (make stream's default), a deeper pipeline is streamed
only where the shallower ones of the same load did not carry it in pass 0:
double buffering is what a strategy that cannot carry a rate with one call
at a time turns to, and where one call at a time carries it a second frame in
flight cannot change the verdict. The deeper cell is recorded `skipped`, naming
the shallower cell that carried it.
"""

from __future__ import annotations

from typing import Any

from interop_bench import ops
from interop_bench.stream.figures import CARRIES_MISSED_SHARE, KEEPS_UP_SHARE

Cell = dict[str, Any]


def heavier(cell: Cell, than: Cell) -> bool:
    order = list(ops.RESOLUTIONS)
    return (
        cell["strategy"] == than["strategy"]
        and cell["depth"] == than["depth"]
        and order.index(cell["resolution"]) >= order.index(than["resolution"])
        and cell["fps"] >= than["fps"]
    )


def loss(record: Cell) -> str | None:
    """Why a measured cell shows its strategy cannot carry heavier loads, or None."""
    if record["status"] != "ok":
        return str(record["reason"])
    achieved = record.get("achieved_fps")
    if achieved is not None and achieved < KEEPS_UP_SHARE * record["fps"]:
        return f"{achieved:.1f} fps achieved"
    return None


def carried(record: Cell) -> bool:
    """Whether a measured cell kept the rate and missed under CARRIES_MISSED_SHARE."""
    achieved = record.get("achieved_fps")
    return (
        record["status"] == "ok"
        and achieved is not None
        and achieved >= KEEPS_UP_SHARE * record["fps"]
        and record["missed"] < CARRIES_MISSED_SHARE * record["frames"]
    )


def shallower(cell: Cell, than: Cell) -> bool:
    """The same strategy and load, fewer frames in flight."""
    same = ("strategy", "resolution", "fps")
    return all(cell[k] == than[k] for k in same) and cell["depth"] < than["depth"]


class Pruner:
    """The cells lost (and, with `deeper_if_needed`, carried) so far in one pass,
    and what they rule out."""

    def __init__(self, deeper_if_needed: bool = False) -> None:
        self.lost: list[tuple[Cell, str]] = []
        self.carried: list[Cell] = []
        self.deeper_if_needed = deeper_if_needed

    def note(self, record: Cell) -> None:
        why = loss(record)
        if why is not None:
            self.lost.append((record, why))
        elif self.deeper_if_needed and carried(record):
            self.carried.append(record)

    def reason(self, cell: Cell) -> str | None:
        """Why `cell` is not run (a lighter load of it was lost, or a shallower
        depth of it carried), or None."""
        for other in self.carried:
            if shallower(other, cell):
                return (
                    f"not run: depth {other['depth']} carries it at {other['resolution']} "
                    f"{other['fps']:g} fps in pass 0 ({other['missed']} of {other['frames']} "
                    "frames missed); a deeper pipeline is streamed where a shallower one does not"
                )
        for other, why in self.lost:
            if heavier(cell, other):
                how = "cannot keep up" if other["status"] == "ok" else "failed"
                return (
                    f"not run: it {how} at {other['resolution']} {other['fps']:g} fps "
                    f"depth {other['depth']} ({why})"
                )
        return None
