"""What a run can tell apart: at each size, the difference two of its cells
must show for their intervals to resolve it.

Two cells with standard errors se1 and se2 of their log medians, from P
processes each, differ at 95% (two-sided) when their log ratio exceeds
t(P - 1) * sqrt(se1^2 + se2^2). For two typical cells of one kind that is
t * sqrt(2) * se with se the median over the kind's cells at the size. The
kinds are kept apart because their intervals differ by 5x on a shared VM: a
one-process cell is given by its fastest process (intervals.py), a
cross-process one by the mean over its processes. Two runs of one machine
compare alike (compare's own figure, "detectable", is stricter: it holds for
every cell of a gate at once).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass

from interop_bench import intervals
from interop_bench.analysis.load import Cell, Results

KINDS = ((intervals.FASTEST_PROCESS, "cells in one process"), ("processes", "cross-process cells"))


@dataclass(frozen=True)
class Resolved:
    """The smallest resolved difference (0.04 = 4%) of a kind's cells at a size."""

    kind: str  # "cells in one process" | "cross-process cells"
    size: int
    difference: float
    cells: int


def of(results: Results) -> list[Resolved]:
    """Per kind and size (in that order), over the cells with a standard error."""
    by_key: dict[tuple[str, int], list[float]] = defaultdict(list)
    for cell in results.cells:
        figure = _difference(cell)
        if figure is not None:
            by_key[(cell.interval_basis, cell.size)].append(figure)
    found = []
    for basis, kind in KINDS:
        for size in sorted(s for b, s in by_key if b == basis):
            figures = by_key[(basis, size)]
            found.append(Resolved(kind, size, statistics.median(figures), len(figures)))
    return found


def _difference(cell: Cell) -> float | None:
    se = cell.stat("log_standard_error")
    count = len(cell.process_medians_ns)
    if not cell.ok or se is None or count < intervals.MIN_PROCESSES_TO_TEST:
        return None
    quantile = intervals.t_quantile(0.5 + intervals.CONFIDENCE / 2, count - 1)
    return math.expm1(quantile * math.sqrt(2) * se)


def sentence(results: Results) -> str | None:
    """'differences above 4% (1 element), 6% (1,000), ... between cells in one
    process; above 60% (1 element), ... between cross-process cells'; None
    without cells to tell."""
    found = of(results)
    parts = []
    for _, kind in KINDS:
        figures = [r for r in found if r.kind == kind]
        if figures:
            listed = ", ".join(f"{r.difference:.0%} ({_elements(r.size)})" for r in figures)
            parts.append(f"above {listed} between {kind}")
    return "differences " + "; ".join(parts) if parts else None


def _elements(size: int) -> str:
    return "1 element" if size == 1 else f"{size:,}"
