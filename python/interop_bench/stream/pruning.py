"""Pass 0's pruning: a strategy that cannot carry a load is not run at a heavier one.

A cell's loss is the measurement that shows the strategy cannot keep up (its
achieved rate under KEEPS_UP_SHARE of the asked one) or its failure. A heavier
cell (same strategy and depth, a resolution and a rate no lighter) is then
recorded `skipped`, naming that measurement, instead of streamed: the evidence
is in the file, and the run's length stays bounded.
"""

from __future__ import annotations

from typing import Any

from interop_bench import ops
from interop_bench.stream.figures import KEEPS_UP_SHARE

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


class Pruner:
    """The cells lost so far in one pass, and what they rule out."""

    def __init__(self) -> None:
        self.lost: list[tuple[Cell, str]] = []

    def note(self, record: Cell) -> None:
        why = loss(record)
        if why is not None:
            self.lost.append((record, why))

    def reason(self, cell: Cell) -> str | None:
        """Why `cell` is not run (a lighter load of it was lost), or None."""
        for other, why in self.lost:
            if heavier(cell, other):
                how = "cannot keep up" if other["status"] == "ok" else "failed"
                return (
                    f"not run: it {how} at {other['resolution']} {other['fps']:g} fps "
                    f"depth {other['depth']} ({why})"
                )
        return None
