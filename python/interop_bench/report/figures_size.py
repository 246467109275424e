"""Figures with payload size on the x axis: latency, throughput, memory per call.

One panel per op, one line per strategy (and per results file, by line style).
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter

from interop_bench.analysis.load import Cell, Results
from interop_bench.analysis.units import TIMES
from interop_bench.report.figure_common import (
    Rendered,
    legend_outside,
    log_axis,
    new_figure,
    to_svg,
)
from interop_bench.report.palette import FLOOR_COLOUR, Palette, file_linestyle

PAYLOAD_LABEL = "payload per call (bytes of float64)"
RATIO_TICKS = (0, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)
Value = Callable[[Cell], float | None]


def ops_of(files: list[Results]) -> list[str]:
    return list(dict.fromkeys(op for results in files for op in results.ops()))


def _ok_series(results: Results, op: str, strategy: str, value: Value) -> list[tuple[Cell, float]]:
    cells = sorted(
        (c for c in results.cells if c.op == op and c.strategy == strategy and c.ok),
        key=lambda c: c.size,
    )
    return [(c, v) for c in cells if (v := value(c)) is not None]


def _plot_strategies(
    ax: Axes, files: list[Results], palette: Palette, op: str, value: Value, *, band: bool
) -> None:
    """Draw every strategy's line (with its confidence band when `band`)."""
    for index, results in enumerate(files):
        for strategy in results.strategies():
            points = _ok_series(results, op, strategy, value)
            if not points:
                continue
            style = palette[strategy]
            xs = [c.payload_bytes for c, _ in points]
            ax.plot(
                xs,
                [v for _, v in points],
                color=style.colour,
                marker=style.marker,
                markersize=5,
                linewidth=1.5,
                linestyle=file_linestyle(index),
            )
            if band:
                _ci(ax, points, style.colour)


def _ci(ax: Axes, points: list[tuple[Cell, float]], colour: str) -> None:
    """The 95% confidence interval of the median: a band, or whiskers for a single size."""
    xs = [c.payload_bytes for c, _ in points]
    low = [c.stat("ci_low_ns") or v for c, v in points]
    high = [c.stat("ci_high_ns") or v for c, v in points]
    if len(points) > 1:
        ax.fill_between(xs, low, high, color=colour, alpha=0.2, linewidth=0)
    else:
        value = points[0][1]
        ax.errorbar(
            xs,
            [value],
            yerr=[[value - low[0]], [high[0] - value]],
            color=colour,
            capsize=3,
            linewidth=1,
        )


def _legend(
    fig: Figure, files: list[Results], palette: Palette, extra: list[tuple[Line2D, str]]
) -> None:
    names = sorted({s for results in files for s in results.strategies()})
    handles: list[Artist] = []
    labels: list[str] = []
    for name in names:
        style = palette[name]
        handles.append(Line2D([], [], color=style.colour, marker=style.marker, markersize=5))
        labels.append(name)
    for line, label in extra:
        handles.append(line)
        labels.append(label)
    if len(files) > 1:
        for index, results in enumerate(files):
            handles.append(Line2D([], [], color="#555555", linestyle=file_linestyle(index)))
            labels.append(f"file: {results.label}")
    legend_outside(fig, handles, labels)


def _has(files: list[Results], value: Value) -> bool:
    return any(c.ok and value(c) is not None for r in files for c in r.cells)


def latency(files: list[Results], palette: Palette) -> Rendered:
    title = "Latency vs payload size"
    caption = (
        "Median time of one call, log-log; the shaded band (whiskers at a single size) is the "
        "95% confidence interval of the median. The dashed black line is the native kernel "
        "alone, measured in C++ in the same run: no strategy can go below it."
    )
    if not _has(files, lambda c: c.median_ns):
        return Rendered("latency", title, caption, missing="no measured (ok) cell in the input")
    ops = ops_of(files)
    fig, axes = new_figure(len(ops))
    floors_drawn = False
    for ax, op in zip(axes, ops, strict=True):
        _plot_strategies(ax, files, palette, op, lambda c: c.median_ns, band=True)
        floors_drawn |= _kernel_floor(ax, files, op)
        _axes(ax, op, "median time per call", "ns")
    extra = [
        (Line2D([], [], color=FLOOR_COLOUR, linestyle="--", linewidth=2), "native kernel alone")
    ]
    _legend(fig, files, palette, extra if floors_drawn else [])
    note = "" if floors_drawn else " (This input has no native floors, so no kernel line.)"
    return Rendered("latency", title, caption + note, svg=to_svg(fig))


def _kernel_floor(ax: Axes, files: list[Results], op: str) -> bool:
    drawn = False
    for index, results in enumerate(files):
        points = [(s * 8, ns) for s in results.sizes() if (ns := results.kernel_ns(op, s))]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(
                xs,
                ys,
                color=FLOOR_COLOUR,
                linestyle="--",
                linewidth=2,
                alpha=0.8,
                marker="x" if index else "",
                markersize=5,
            )
            drawn = True
    return drawn


def _axes(ax: Axes, op: str, ylabel: str, yunit: str) -> None:
    ax.set_title(op)
    log_axis("x", ax, "bytes")
    ax.set_xlabel(PAYLOAD_LABEL)
    if yunit == "ratio":
        ax.set_yscale("symlog", linthresh=1.0)
        top = max(ax.get_ylim()[1], 1.0)
        ax.yaxis.set_major_locator(FixedLocator([t for t in RATIO_TICKS if t <= top * 1.05]))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}{TIMES}"))
        ax.set_ylim(-0.05, top * 1.1)
    else:
        log_axis("y", ax, yunit)
    ax.set_ylabel(ylabel)


def throughput(files: list[Results], palette: Palette) -> Rendered:
    title = "Throughput vs payload size"
    caption = (
        "Payload bytes per second at the median (GB/s = 10⁹ bytes/s). Horizontal lines: the "
        "machine's read and memcpy bandwidth over a buffer far larger than the caches, "
        "measured in the same run: a zero-copy strategy at large sizes should approach "
        "the read line."
    )
    rate = lambda c: c.stat("throughput_bytes_per_s")  # noqa: E731
    if not _has(files, rate):
        return Rendered("throughput", title, caption, missing="no cell with a throughput")
    ops = ops_of(files)
    fig, axes = new_figure(len(ops))
    rooflines: list[tuple[Line2D, str]] = []
    for ax, op in zip(axes, ops, strict=True):
        _plot_strategies(ax, files, palette, op, rate, band=False)
        rooflines = _rooflines(ax, files)
        _axes(ax, op, "throughput (payload bytes / s)", "rate")
    _legend(fig, files, palette, rooflines)
    note = "" if rooflines else " (This input has no bandwidth measurements, so no rooflines.)"
    return Rendered("throughput", title, caption + note, svg=to_svg(fig))


def _rooflines(ax: Axes, files: list[Results]) -> list[tuple[Line2D, str]]:
    legend: list[tuple[Line2D, str]] = []
    for index, results in enumerate(files):
        suffix = f" ({results.label})" if len(files) > 1 else ""
        for key, name, style in (
            ("read_bandwidth_bytes_per_s", "read bandwidth", "--"),
            ("memcpy_bandwidth_bytes_per_s", "memcpy bandwidth", ":"),
        ):
            value = results.floors.get(key)
            if value:
                line = ax.axhline(
                    value,
                    color=FLOOR_COLOUR,
                    linestyle=style,
                    linewidth=1.5,
                    alpha=0.9 - 0.3 * index,
                )
                legend.append((line, name + suffix))
    return legend


def memory(files: list[Results], palette: Palette) -> Rendered:
    title = "Memory per call"
    caption = (
        "Peak extra resident memory of one call (this process plus worker processes, from the "
        "OS high-water mark) as a multiple of the payload; 0 means the call allocated nothing "
        f"measurable. The scale is linear below 1{TIMES} and logarithmic above. At small payloads "
        "the OS counts whole pages, so multiples there are coarse."
    )
    ratio = lambda c: c.memory_payload_ratio  # noqa: E731
    if not _has(files, ratio):
        return Rendered("memory", title, caption, missing="no cell with a memory measurement")
    ops = ops_of(files)
    fig, axes = new_figure(len(ops))
    for ax, op in zip(axes, ops, strict=True):
        _plot_strategies(ax, files, palette, op, ratio, band=False)
        ax.axhline(1.0, color="#777777", linewidth=1, linestyle=":")
        _axes(ax, op, "peak extra memory / payload", "ratio")
    _legend(fig, files, palette, [])
    return Rendered("memory", title, caption, svg=to_svg(fig))
