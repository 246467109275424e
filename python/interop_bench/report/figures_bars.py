"""Bar figures: the fixed cost of a call at the smallest size, and where a call's time goes."""

from __future__ import annotations

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from interop_bench.analysis.load import Cell, Results
from interop_bench.analysis.units import format_bytes, format_ns
from interop_bench.report import phase_data
from interop_bench.report.figure_common import (
    Rendered,
    grid_figure,
    legend_outside,
    log_axis,
    new_figure,
    to_svg,
)
from interop_bench.report.figures_size import ops_of
from interop_bench.report.palette import FLOOR_COLOUR, PHASE_COLOURS, Palette, file_hatch

CAPI = "capi"  # the CPython C API strategy: the cheapest call Python can make into C


def overhead(files: list[Results], palette: Palette) -> Rendered:
    title = "Fixed overhead per call"
    caption = (
        "Median time of one call at the smallest size measured (ideally 1 element), where "
        "moving the data costs nothing and the boundary crossing is all there is; shortest "
        f"on top. The dashed line marks the `{CAPI}` strategy, the floor of a call from "
        "Python into C."
    )
    ops = [op for op in ops_of(files) if _smallest(files, op)]
    if not ops:
        return Rendered("overhead", title, caption, missing="no measured (ok) cell in the input")
    fig, axes = new_figure(len(ops), width=5.4, height=0.45 + 0.32 * _rows(files))
    for ax, op in zip(axes, ops, strict=True):
        _overhead_panel(ax, files, palette, op)
    if len(files) > 1:
        legend_outside(fig, *_file_legend(files))
    if not any(c.strategy == CAPI for r in files for c in r.cells if c.ok):
        caption += f" (No `{CAPI}` cell in this input, so no C API line.)"
    return Rendered("overhead", title, caption, svg=to_svg(fig))


def _rows(files: list[Results]) -> int:
    return len({s for r in files for s in r.strategies()}) * len(files)


def _smallest(files: list[Results], op: str) -> dict[int, dict[str, Cell]]:
    """file index -> strategy -> ok cell at that file's smallest size of `op`."""
    chosen: dict[int, dict[str, Cell]] = {}
    for index, results in enumerate(files):
        ok = [c for c in results.cells if c.op == op and c.ok]
        if ok:
            size = min(c.size for c in ok)
            chosen[index] = {c.strategy: c for c in ok if c.size == size}
    return chosen


def _overhead_panel(ax: Axes, files: list[Results], palette: Palette, op: str) -> None:
    cells = _smallest(files, op)
    first = cells[min(cells)]
    strategies = sorted(
        {s for per in cells.values() for s in per},
        key=lambda s: (first[s].median_ns if s in first else float("inf"), s),
    )
    height = 0.8 / len(files)
    for index, per_file in cells.items():
        for row, strategy in enumerate(strategies):
            cell = per_file.get(strategy)
            if cell is None:
                continue
            y = row + (index - (len(files) - 1) / 2) * height
            ax.barh(
                y,
                cell.median_ns,
                height=height * 0.9,
                color=palette[strategy].colour,
                hatch=file_hatch(index),
                edgecolor="#333333",
                linewidth=0.5,
            )
            ax.text(cell.median_ns * 1.08, y, format_ns(cell.median_ns), va="center", fontsize=8)
        if CAPI in per_file:
            floor_ns = per_file[CAPI].median_ns
            ax.axvline(floor_ns, color=FLOOR_COLOUR, linestyle="--", linewidth=1)
            ax.annotate(
                "C API floor",
                (floor_ns, 0),
                xytext=(3, 6),
                textcoords="offset points",
                xycoords=("data", "axes fraction"),
                fontsize=8,
            )
    ax.set_yticks(range(len(strategies)), strategies)
    ax.invert_yaxis()  # shortest on top
    ax.grid(axis="y", visible=False)
    log_axis("x", ax, "ns")
    times = [c.median_ns for per in cells.values() for c in per.values()]
    # A log axis has no zero: start well left of the shortest bar so every bar shows,
    # and end far enough right for the value labels.
    ax.set_xlim(min(times) / 3, max(times) * 4)
    some = next(iter(first.values()))
    ax.set_title(f"{op} at {some.size_text}")
    ax.set_xlabel("median time per call")


def _file_legend(files: list[Results]) -> tuple[list[Artist], list[str]]:
    handles: list[Artist] = [
        Patch(facecolor="#dddddd", edgecolor="#333333", hatch=file_hatch(i))
        for i in range(len(files))
    ]
    return handles, [f"file: {r.label}" for r in files]


def phases(files: list[Results], palette: Palette) -> Rendered:
    del palette  # phases have their own colours; strategies are the rows
    title = "Where the time goes"
    caption = (
        "For strategies that time the stages of a call (encode, cross the boundary, kernel, "
        "decode, ...): each stage's share of the call's median time, at a few sizes. The "
        "number right of a bar is the whole call's median."
    )
    rows = [(r, op) for r in files for op in r.ops() if any(c.phases_ns for c in _of(r, op))]
    if not rows:
        return Rendered(
            "phases", title, caption, missing="no strategy in this input records phases (phases_ns)"
        )
    sizes_per_row = [phase_data.sizes([c for c in _of(r, op) if c.phases_ns]) for r, op in rows]
    columns = max(len(s) for s in sizes_per_row)
    phase_names = list(
        dict.fromkeys(p for r in files for c in r.cells for p in (c.phases_ns or {}))
    )
    colours = {p: PHASE_COLOURS[i % len(PHASE_COLOURS)] for i, p in enumerate(phase_names)}
    max_bars = max(len({c.strategy for c in _of(r, op) if c.phases_ns}) for r, op in rows)
    fig, grid = grid_figure(len(rows), columns, 4.2, 0.9 + 0.35 * max_bars)
    for row, ((results, op), sizes) in enumerate(zip(rows, sizes_per_row, strict=True)):
        for column in range(columns):
            ax = grid[row][column]
            if column >= len(sizes):
                ax.set_visible(False)
                continue
            label = f" ({results.label})" if len(files) > 1 else ""
            _phase_panel(ax, results, op, sizes[column], colours)
            payload = results.payload_bytes(sizes[column], op)
            ax.set_title(f"{op}{label}, {format_bytes(payload)}")
    handles = [Patch(color=colours[p]) for p in phase_names]
    legend_outside(fig, handles, phase_names)
    return Rendered("phases", title, caption, svg=to_svg(fig))


def _of(results: Results, op: str) -> list[Cell]:
    return [c for c in results.cells if c.op == op and c.ok]


def _phase_panel(ax: Axes, results: Results, op: str, size: int, colours: dict[str, str]) -> None:
    cells = sorted(
        (c for c in _of(results, op) if c.size == size and c.phases_ns), key=lambda c: c.strategy
    )
    for row, cell in enumerate(cells):
        phases_ns = cell.phases_ns or {}
        total = sum(phases_ns.values()) or 1.0
        left = 0.0
        for name, ns in phases_ns.items():
            share = 100 * ns / total
            ax.barh(row, share, left=left, color=colours[name], edgecolor="white", linewidth=0.5)
            left += share
        ax.text(101, row, format_ns(cell.median_ns), va="center", fontsize=8)
    ax.set_yticks(range(len(cells)), [c.strategy for c in cells])
    ax.invert_yaxis()
    ax.set_xlim(0, 118)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("share of the call (%)")
    ax.grid(axis="y", visible=False)
