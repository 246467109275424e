"""Do a run's intervals hold in the next run? Two files of one commit, cell by cell.

An interval of the median that holds across runs contains the next run's
median most of the time: about 83% for a correct 95% interval of P processes
(the second median has its own error, so the two differ by sqrt(2) times one
run's error), and far less for an interval that only knows one process.
`coverage` counts, for every cell measured in both files, whether the second
file's median lies in the first file's interval, and how far medians moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

from interop_bench.analysis.load import Results


@dataclass(frozen=True)
class SizeMoves:
    size: int
    cells: int
    inside: int
    median_move: float  # median |log(second / first)|, as a fraction
    max_move: float
    median_half_width: float  # of the first file's intervals


@dataclass(frozen=True)
class Coverage:
    cells: int
    inside: int
    by_size: tuple[SizeMoves, ...]

    @property
    def share(self) -> float:
        return self.inside / self.cells if self.cells else math.nan


def coverage(first: Results, second: Results) -> Coverage:
    """Strategies' cells only: the floors are the machine, not what a user reads."""
    second_cells = second.cell_map()
    per_size: dict[int, list[tuple[bool, float, float]]] = {}
    for cell in first.cells:
        other = second_cells.get(cell.key)
        low, high = cell.stat("ci_low_ns"), cell.stat("ci_high_ns")
        if other is None or not (cell.ok and other.ok) or low is None or high is None:
            continue
        inside = low <= other.median_ns <= high
        move = abs(math.log(other.median_ns / cell.median_ns))
        half = cell.relative_half_width or 0.0
        per_size.setdefault(cell.size, []).append((inside, math.expm1(move), half))
    by_size = tuple(
        SizeMoves(
            size=size,
            cells=len(rows),
            inside=sum(r[0] for r in rows),
            median_move=median(r[1] for r in rows),
            max_move=max(r[1] for r in rows),
            median_half_width=median(r[2] for r in rows),
        )
        for size, rows in sorted(per_size.items())
    )
    return Coverage(
        cells=sum(s.cells for s in by_size), inside=sum(s.inside for s in by_size), by_size=by_size
    )
