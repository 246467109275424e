"""How long the rest of a stream run takes, from what its processes took so far.

A cell costs its duration plus what its process spends around it (frames
made and placed, the warm-up stream, the check): until a cell has been
measured, WARMUP_S. A process costs its start-up (the interpreter, the
imports, the strategy opened: its wall time less its cells'), unknown until
one has run. Both are means of what this run measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from interop_bench.stream.cell import WARMUP_S


@dataclass
class Budget:
    around_cell_s: list[float] = field(default_factory=list)  # a cell's wall time less its duration
    startup_s: list[float] = field(default_factory=list)  # a process's wall time less its cells'

    def note_process(self, wall_s: float, cells: Sequence[tuple[float, float, bool]]) -> None:
        """A process's wall time and, for each cell it streamed, (duration, wall
        time, whether it streamed its whole duration)."""
        self.startup_s.append(max(0.0, wall_s - sum(wall for _, wall, _ in cells)))
        self.around_cell_s += [wall - duration for duration, wall, whole in cells if whole]

    def cell_s(self, cell: dict[str, Any]) -> float:
        around = mean(self.around_cell_s) if self.around_cell_s else WARMUP_S
        return float(cell["duration_s"]) + around

    def seconds(self, passes: Iterable[Sequence[dict[str, Any]]]) -> float:
        """The cells of each pass, one process per strategy a pass, start-ups
        counted where one was measured."""
        startup = mean(self.startup_s) if self.startup_s else 0.0
        total = 0.0
        for cells in passes:
            total += sum(self.cell_s(c) for c in cells)
            total += startup * len({c["strategy"] for c in cells})
        return total

    def startup_text(self) -> str:
        if not self.startup_s:
            return "+ start-ups, measured after the first process"
        return f"start-up {mean(self.startup_s):.1f} s a process"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"
