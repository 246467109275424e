"""Frame cells as a video pipeline reads them: ms per frame, frames per second,
and whether a strategy carries a stream at 30 or 60 fps on the measuring machine.

A budget is met when the whole 95% interval of a frame's time is within it,
missed when the whole interval is above it, and "borderline" when the interval
straddles it: the run cannot tell, and saying "pass" or "fail" would claim
more than was measured. A cell without an interval (one process) is judged on
its median and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from interop_bench.analysis.load import Cell, Results
from interop_bench.results_file import KERNEL

MS = 1e6  # ns
# Frame rates whose per-frame budget the report marks: 33.3 ms and 16.7 ms.
FRAME_RATES = (30, 60)
PASS, FAIL, BORDERLINE = "pass", "fail", "borderline"


def budget_ms(fps: float) -> float:
    """The time one frame may take at `fps` frames per second."""
    return 1000.0 / fps


@dataclass(frozen=True)
class FrameTime:
    """One strategy's frame cell at one resolution."""

    strategy: str
    resolution: str  # the name, or WxH for a size without one
    width: int
    height: int
    ms: float  # median per frame
    low_ms: float | None  # 95% interval, None without one
    high_ms: float | None
    verdicts: dict[int, str]  # fps -> pass / fail / borderline

    @property
    def fps(self) -> float:
        return 1000.0 / self.ms if self.ms > 0 else float("inf")

    @property
    def fps_range(self) -> tuple[float, float] | None:
        """Frames per second at the slow and the fast end of the interval."""
        if self.low_ms is None or self.high_ms is None or self.low_ms <= 0:
            return None
        return 1000.0 / self.high_ms, 1000.0 / self.low_ms


def verdict(ms: float, low_ms: float | None, high_ms: float | None, fps: float) -> str:
    """pass (the interval within the budget), fail (above it) or borderline (across it)."""
    budget = budget_ms(fps)
    low = ms if low_ms is None else low_ms
    high = ms if high_ms is None else high_ms
    if high <= budget:
        return PASS
    if low > budget:
        return FAIL
    return BORDERLINE


def frame_time(cell: Cell) -> FrameTime:
    """An ok frame cell as ms per frame with its verdicts."""
    low, high = cell.stat("ci_low_ns"), cell.stat("ci_high_ns")
    ms = cell.median_ns / MS
    low_ms = None if low is None else low / MS
    high_ms = None if high is None else high / MS
    return FrameTime(
        strategy=cell.strategy,
        resolution=cell.resolution or f"{cell.width}x{cell.height}",
        width=cell.width or 0,
        height=cell.height or 0,
        ms=ms,
        low_ms=low_ms,
        high_ms=high_ms,
        verdicts={fps: verdict(ms, low_ms, high_ms, fps) for fps in FRAME_RATES},
    )


def frame_cells(results: Results, kernel: bool = False) -> list[Cell]:
    """The strategies' frame cells (and the kernel alone's, when `kernel`), smallest
    image first."""
    floors = [c for c in results.floor_cells if c.strategy == KERNEL] if kernel else []
    return sorted(
        (c for c in (*results.cells, *floors) if c.is_frame), key=lambda c: (c.size, c.strategy)
    )


def resolutions(results: Results) -> list[str]:
    """The frame sizes the file measured, smallest first."""
    return list(dict.fromkeys(frame_time_name(c) for c in frame_cells(results)))


def frame_time_name(cell: Cell) -> str:
    return cell.resolution or f"{cell.width}x{cell.height}"


def by_strategy(results: Results, kernel: bool = False) -> dict[str, dict[str, FrameTime | Cell]]:
    """strategy -> resolution -> its FrameTime, or the cell itself when it is not ok
    (an error, a skip: the reason is what there is to show); with `kernel`, the
    kernel alone too (what the C++ core does, the yardstick of every row)."""
    found: dict[str, dict[str, FrameTime | Cell]] = {}
    for cell in frame_cells(results, kernel):
        entry: FrameTime | Cell = frame_time(cell) if cell.ok else cell
        found.setdefault(cell.strategy, {})[frame_time_name(cell)] = entry
    return found


def carriers(results: Results, resolution: str, fps: int) -> dict[str, list[str]]:
    """Who carries a `resolution` stream at `fps`: strategies by verdict, fastest first."""
    times = sorted(
        (
            entry
            for per in by_strategy(results).values()
            if isinstance(entry := per.get(resolution), FrameTime)
        ),
        key=lambda t: t.ms,
    )
    return {
        kind: [t.strategy for t in times if t.verdicts[fps] == kind]
        for kind in (PASS, BORDERLINE, FAIL)
    }
