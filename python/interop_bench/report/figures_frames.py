"""The frames figure: ms per frame against the image's pixels, the 30 and 60 fps
budgets drawn across it, so who carries which stream reads off at a glance."""

from __future__ import annotations

from typing import Literal

from matplotlib.lines import Line2D

from interop_bench.analysis import frames
from interop_bench.analysis.load import Results
from interop_bench.report.figure_common import Rendered, log_axis, new_figure, to_svg
from interop_bench.report.figures_size import _ci, _legend
from interop_bench.report.palette import FLOOR_COLOUR, Palette, file_linestyle

BUDGET_STYLES: dict[int, Literal[":", "--"]] = {30: ":", 60: "--"}
MS = 1e6  # ns


def frame_rate(files: list[Results], palette: Palette) -> Rendered:
    title = "Time per frame against the 30 and 60 fps budgets"
    caption = (
        "Median time of one frame op (RGB to gray) at each resolution measured, log-log, with "
        "the 95% interval as a band; the horizontal lines are the budgets of a 30 fps "
        f"({frames.budget_ms(30):.1f} ms) and a 60 fps ({frames.budget_ms(60):.1f} ms) stream. "
        "A line below a budget at a resolution carries that stream on this machine."
    )
    if not any(frames.frame_cells(results) for results in files):
        return Rendered("frames", title, caption, missing="no frame cells in the input")
    fig, [ax] = new_figure(1, width=7.0, height=4.2)
    for index, results in enumerate(files):
        for strategy in results.strategies():
            cells = [c for c in frames.frame_cells(results) if c.strategy == strategy and c.ok]
            if not cells:
                continue
            style = palette[strategy]
            points = [(c, c.median_ns) for c in cells]
            ax.plot(
                [c.payload_bytes for c in cells],
                [c.median_ns for c in cells],
                color=style.colour,
                marker=style.marker,
                markersize=5,
                linewidth=1.5,
                linestyle=file_linestyle(index),
            )
            _ci(ax, points, style.colour)
    for fps, linestyle in BUDGET_STYLES.items():
        ax.axhline(frames.budget_ms(fps) * MS, color=FLOOR_COLOUR, linestyle=linestyle, linewidth=1)
    names = {
        c.payload_bytes: frames.frame_time_name(c) for r in files for c in frames.frame_cells(r)
    }
    ax.set_xscale("log")
    ax.set_xticks(list(names), list(names.values()))
    ax.minorticks_off()
    log_axis("y", ax, "ns")
    ax.set_xlabel("resolution (RGB, 3 bytes a pixel)")
    ax.set_ylabel("median time per frame")
    budgets = [
        (Line2D([], [], color=FLOOR_COLOUR, linestyle=style), f"{fps} fps budget")
        for fps, style in BUDGET_STYLES.items()
    ]
    _legend(fig, files, palette, budgets)
    return Rendered("frames", title, caption, svg=to_svg(fig))
