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
from interop_bench.analysis.units import TIMES, format_bytes, format_rate
from interop_bench.report.figure_common import (
    Rendered,
    legend_outside,
    log_axis,
    new_figure,
    to_svg,
)
from interop_bench.report.palette import FLOOR_COLOUR, Palette, file_linestyle
from interop_bench.results_file import MEMCPY_PROBE, READ_PROBE

PAYLOAD_LABEL = "payload per call (bytes of the label's dtype)"
READ_ONLY_OPS = ("sum", "matrix_sum")
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
        "95% interval of the median, from the spread between the run's processes. The dashed "
        "black line is the kernel alone, timed natively on the same buffer as a turn of the "
        "same rounds: no strategy can go below it."
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
        points = [
            (results.payload_bytes(s, op), ns)
            for s in results.sizes()
            if (ns := results.kernel_ns(op, s))
        ]
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
        "Payload bytes per second at the median (GB/s = 10⁹ bytes/s). Black lines: the "
        "machine's read bandwidth (dashed: an integer read of the same bytes, no kernel code) "
        "and memcpy bandwidth (dotted), measured as turns of the same rounds at every size, "
        "so they bend where the caches end; a zero-copy strategy at large sizes should "
        "approach the read line, never pass it."
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
    return Rendered("throughput", title, caption + note + above_roofline(files), svg=to_svg(fig))


def _rooflines(ax: Axes, files: list[Results]) -> list[tuple[Line2D, str]]:
    legend: list[tuple[Line2D, str]] = []
    for index, results in enumerate(files):
        suffix = f" ({results.label})" if len(files) > 1 else ""
        for probe, name, style in (
            (READ_PROBE, "read bandwidth", "--"),
            (MEMCPY_PROBE, "memcpy bandwidth", ":"),
        ):
            points = results.bandwidth_bytes_per_s(probe)
            if not points:
                continue
            alpha = 0.9 - 0.3 * index
            if points[0][0] == 0:  # one figure over a buffer of its own (version 1 files)
                line = ax.axhline(points[0][1], color=FLOOR_COLOUR, linestyle=style, alpha=alpha)
            else:
                xs = [p[0] for p in points]
                (line,) = ax.plot(
                    xs, [p[1] for p in points], color=FLOOR_COLOUR, linestyle=style, alpha=alpha
                )
                ax.fill_between(
                    xs,
                    [p[2] for p in points],
                    [p[3] for p in points],
                    color=FLOOR_COLOUR,
                    alpha=0.1,
                    linewidth=0,
                )
            legend.append((line, name + suffix))
    return legend


def above_roofline(files: list[Results]) -> str:
    """A sentence for every read-only cell whose throughput interval lies wholly
    above the read probe's at the same size: a roofline below an achieved rate
    is never drawn without saying so."""
    notes = []
    for results in files:
        probe = {p[0]: p for p in results.bandwidth_bytes_per_s(READ_PROBE) if p[0]}
        for cell in results.cells:
            point = probe.get(cell.payload_bytes)
            fastest_ns = cell.stat("ci_high_ns")
            if cell.op not in READ_ONLY_OPS or point is None or not cell.ok or not fastest_ns:
                continue
            slowest_rate = cell.payload_bytes * 1e9 / fastest_ns
            if slowest_rate > point[3]:
                notes.append(
                    f"{cell.strategy} {cell.op} at {format_bytes(cell.payload_bytes)}: "
                    f"{format_rate(slowest_rate)} or more, above the read line's "
                    f"{format_rate(point[3])}"
                )
    if not notes:
        return ""
    return (
        " Above the read line, which a read cannot really be: "
        + "; ".join(notes[:8])
        + (f" (and {len(notes) - 8} more)" if len(notes) > 8 else "")
        + ". The probe and the kernels are compiled alike and read the same buffer in the same "
        "rounds, so look for a cell that does not read all of its input."
    )


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
