"""The frames figure: ms per frame against the image's pixels, the 30 and 60 fps
budgets drawn across it, so who carries which stream reads off at a glance."""

from __future__ import annotations

from typing import Literal

from matplotlib.lines import Line2D

from interop_bench.analysis import frames
from interop_bench.analysis.load import Results
from interop_bench.report.figure_common import (
    Rendered,
    legend_outside,
    log_axis,
    new_figure,
    to_svg,
)
from interop_bench.report.figures_size import _ci
from interop_bench.report.palette import FLOOR_COLOUR, Palette, file_linestyle
from interop_bench.results_file import KERNEL

BUDGET_STYLES: dict[int, Literal[":", "--"]] = {30: ":", 60: "--"}
MS = 1e6  # ns


def frame_rate(files: list[Results], palette: Palette) -> Rendered:
    title = "Time per frame against the 30 and 60 fps budgets"
    caption = (
        "Median time of one frame op (RGB to gray) at each resolution measured, log-log, with "
        "the 95% interval as a band; the horizontal lines are the budgets of a 30 fps "
        f"({frames.budget_ms(30):.1f} ms) and a 60 fps ({frames.budget_ms(60):.1f} ms) stream. "
        "A line below a budget at a resolution carries that stream on this machine; the black "
        "crosses are the kernel alone."
    )
    if not any(frames.frame_cells(results) for results in files):
        return Rendered("frames", title, caption, missing="no frame cells in the input")
    fig, [ax] = new_figure(1, width=7.0, height=4.2)
    drawn: dict[str, Line2D] = {}
    for index, results in enumerate(files):
        for strategy in [*results.strategies(), KERNEL]:
            cells = [
                c
                for c in frames.frame_cells(results, kernel=True)
                if c.strategy == strategy and c.ok
            ]
            if not cells:
                continue
            colour, marker = _style(palette, strategy)
            (line,) = ax.plot(
                [c.payload_bytes for c in cells],
                [c.median_ns for c in cells],
                color=colour,
                marker=marker,
                markersize=5,
                linewidth=1.5,
                linestyle=file_linestyle(index),
            )
            drawn.setdefault(strategy, line)
            _ci(ax, [(c, c.median_ns) for c in cells], colour)
    for fps, linestyle in BUDGET_STYLES.items():
        budget_ns = frames.budget_ms(fps) * MS
        ax.axhline(budget_ns, color=FLOOR_COLOUR, linestyle=linestyle, linewidth=1)
        ax.annotate(
            f"{fps} fps ({frames.budget_ms(fps):.1f} ms)",
            (1.0, budget_ns),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 3),
            textcoords="offset points",
            ha="right",
            fontsize=8,
        )
    names = {
        c.payload_bytes: frames.frame_time_name(c)
        for results in files
        for c in frames.frame_cells(results, kernel=True)
    }
    ax.set_xscale("log")
    ax.set_xticks(list(names), list(names.values()))
    ax.minorticks_off()
    log_axis("y", ax, "ns")
    ax.set_xlabel("resolution (RGB, 3 bytes a pixel)")
    ax.set_ylabel("median time per frame")
    labels = [f"{name} (the kernel alone)" if name == KERNEL else name for name in drawn]
    legend_outside(fig, list(drawn.values()), labels)
    return Rendered("frames", title, caption, svg=to_svg(fig))


def _style(palette: Palette, strategy: str) -> tuple[str, str]:
    if strategy == KERNEL:
        return FLOOR_COLOUR, "x"
    style = palette[strategy]
    return style.colour, style.marker
