"""The frames section: which strategies carry a stream at 30 and 60 fps, file by file.

Each resolution measured is a group of columns (ms per frame with its 95%
interval, frames per second, the verdict at each budget); the headline says
who carries the largest resolution at the highest rate: "pass" only where the
whole interval is within the budget, "borderline" where it straddles it
(analysis/frames.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from interop_bench.analysis import frames
from interop_bench.analysis.load import Cell, Results
from interop_bench.analysis.units import DASH
from interop_bench.report.cell_table import Td

HEADLINE_RESOLUTION = "4k"  # the question the section answers, when the file measured it
HEADLINE_FPS = max(frames.FRAME_RATES)
COLUMNS = ("ms/frame", "fps", *(f"{fps} fps" for fps in frames.FRAME_RATES))


@dataclass(frozen=True)
class FrameTable:
    file_label: str
    resolutions: tuple[str, ...]
    headline_resolution: str
    headline: dict[str, list[str]]  # pass / borderline / fail -> strategies, fastest first
    not_carried: tuple[str, ...]  # strategies with a frame cell there that is not ok
    rows: tuple[tuple[Td, ...], ...]


def tables(files: list[Results]) -> list[FrameTable]:
    """One table per file that has frame cells."""
    return [table for results in files if (table := _table(results)) is not None]


def budgets_text() -> str:
    return ", ".join(f"{fps} fps = {frames.budget_ms(fps):.1f} ms" for fps in frames.FRAME_RATES)


def _table(results: Results) -> FrameTable | None:
    names = tuple(frames.resolutions(results))
    if not names:
        return None
    headline = HEADLINE_RESOLUTION if HEADLINE_RESOLUTION in names else names[-1]
    per_strategy = frames.by_strategy(results)
    with_kernel = frames.by_strategy(results, kernel=True)
    rows = []
    for strategy, per in sorted(with_kernel.items()):
        floor = strategy not in per_strategy
        row = [
            Td(strategy, strategy, "floor" if floor else "", "the kernel alone" if floor else "")
        ]
        for name in names:
            row += _columns(per.get(name))
        rows.append(tuple(row))
    not_ok = tuple(
        strategy
        for strategy, per in sorted(per_strategy.items())
        if isinstance(per.get(headline), Cell)
    )
    return FrameTable(
        file_label=results.label,
        resolutions=names,
        headline_resolution=headline,
        headline=frames.carriers(results, headline, HEADLINE_FPS),
        not_carried=not_ok,
        rows=tuple(rows),
    )


def _columns(entry: frames.FrameTime | Cell | None) -> list[Td]:
    blank = [Td("", "")] * (len(COLUMNS) - 1)
    if entry is None:
        return [Td("not run", "", "muted"), *blank]
    if isinstance(entry, Cell):
        reason = entry.reason or ""
        return [Td(entry.status, entry.status, f"status-{entry.status}", reason), *blank]
    interval = ""
    if entry.low_ms is not None and entry.high_ms is not None:
        interval = f"95% interval {entry.low_ms:.3g} {DASH} {entry.high_ms:.3g} ms"
    fps_range = entry.fps_range
    fps_title = "" if fps_range is None else f"{fps_range[0]:.3g} {DASH} {fps_range[1]:.3g} fps"
    return [
        Td(f"{entry.ms:.3g}", f"{entry.ms}", title=interval),
        Td(f"{entry.fps:.3g}", f"{entry.fps}", title=fps_title),
        *(
            Td(entry.verdicts[fps], entry.verdicts[fps], f"verdict-{entry.verdicts[fps]}")
            for fps in frames.FRAME_RATES
        ),
    ]
