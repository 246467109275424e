"""The table of every cell, one table per label (op, op:dtype), files side by side."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from interop_bench.analysis.load import Cell, Results
from interop_bench.analysis.units import (
    DASH,
    TIMES,
    format_bytes,
    format_ns,
    format_rate,
    format_ratio,
)
from interop_bench.report.figures_size import ops_of

PER_FILE_COLUMNS = (
    "median",
    "95% interval",
    "p99",
    "throughput",
    f"{TIMES} kernel",
    f"memory {TIMES} payload",
    "calls / sample",
    "status",
)


# An interval wider than +-10% of its median is shown as such: the cell's
# processes disagreed (a noisy machine, or a real bimodality worth a look).
WIDE_HALF_WIDTH = 0.10
# A call through Python cannot beat the kernel alone on the same buffer in the
# same rounds; an interval of "x kernel" wholly below this is a bug to find.
BELOW_KERNEL = 0.97


@dataclass(frozen=True)
class Td:
    text: str
    sort: str  # what the inline script sorts by: a number, or the text
    css: str = ""
    title: str = ""


@dataclass(frozen=True)
class OpTable:
    op: str
    file_labels: tuple[str, ...]
    rows: tuple[tuple[Td, ...], ...]


def tables(files: list[Results]) -> list[OpTable]:
    return [_op_table(files, op) for op in ops_of(files)]


def _op_table(files: list[Results], op: str) -> OpTable:
    """Strategies first, then the floors measured beside them (kernel, probes)."""
    maps = [{c.key: c for c in (*r.cells, *r.floor_cells)} for r in files]
    strategies = sorted({(c.strategy, c.size) for r in files for c in r.cells if c.op == op})
    floors = sorted({(c.strategy, c.size) for r in files for c in r.floor_cells if c.op == op})
    rows = []
    for strategy, size in strategies + floors:
        key = (strategy, op, size)
        some = next(m[key] for m in maps if key in m)
        payload = some.payload_bytes
        row = [
            Td(strategy, strategy, "floor" if (strategy, size) in floors else ""),
            Td(some.size_text if some.is_frame else f"{size:,}", str(size)),
            Td(format_bytes(payload), str(size)),
        ]
        for results, cells in zip(files, maps, strict=True):
            row.extend(_file_columns(results, cells.get(key)))
        rows.append(tuple(row))
    return OpTable(op, tuple(r.label for r in files), tuple(rows))


def _file_columns(results: Results, cell: Cell | None) -> list[Td]:
    if cell is None:
        return [Td("", "")] * (len(PER_FILE_COLUMNS) - 1) + [Td("not run", "not run", "muted")]
    if not cell.ok:
        blank = [Td("", "")] * (len(PER_FILE_COLUMNS) - 1)
        reason = cell.reason or ""
        text = cell.status + (f": {reason}" if reason else "")
        return [*blank, Td(text, cell.status, f"status-{cell.status}", reason)]
    median = cell.median_ns
    low, high, p99 = cell.stat("ci_low_ns"), cell.stat("ci_high_ns"), cell.stat("p99_ns")
    rate = cell.stat("throughput_bytes_per_s")
    memory = cell.memory_payload_ratio
    return [
        Td(format_ns(median), f"{median}"),
        _interval(cell, low, high),
        _number(p99, format_ns),
        _number(rate, format_rate),
        _versus_kernel(results, cell),
        _number(memory, format_ratio, title=_peak(cell.memory_peak_bytes)),
        _calls(cell.calls_per_sample),
        Td(
            "ok",
            "ok",
            "status-ok",
            title=f"{int(cell.stats.get('samples', 0))} samples from "
            f"{len(cell.process_medians_ns)} process(es), "
            f"stopped by {cell.stats.get('stop_reason', '?')}",
        ),
    ]


def _interval(cell: Cell, low: float | None, high: float | None) -> Td:
    """The 95% interval, marked when it is wide or rests on one process only."""
    half = cell.relative_half_width
    if low is None or high is None or half is None:
        return Td("", "")
    basis = cell.interval_basis
    text = f"{format_ns(low)} {DASH} {format_ns(high)}"
    css = ""
    if half > WIDE_HALF_WIDTH:
        text += " (wide)"
        css = "wide"
    if cell.interval_of_one_process:
        text += f" ({basis} of one process)"
        css = "wide"
    title = f"±{half:.1%}, from {len(cell.process_medians_ns)} process(es) ({basis})"
    return Td(text, f"{high - low}", css, title)


def _versus_kernel(results: Results, cell: Cell) -> Td:
    """median / kernel alone: paired by process where the file has same-run floors."""
    ratio, low, high = results.versus_kernel(cell)
    if ratio is None:
        return Td("", "")
    overhead = cell.stat("overhead_ns")
    title = f"overhead {format_ns(overhead)} over the kernel alone" if overhead else ""
    if low is not None and high is not None:
        title += f"; 95% interval {format_ratio(low)} {DASH} {format_ratio(high)}"
    below = high is not None and high < BELOW_KERNEL
    return Td(format_ratio(ratio), f"{ratio}", "below-kernel" if below else "", title)


def _calls(calls: tuple[int, ...]) -> Td:
    """The fewest and most calls one sample made, over the cell's processes."""
    if not calls:
        return Td("", "")
    fewest, most = min(calls), max(calls)
    return Td(str(fewest) if fewest == most else f"{fewest} {DASH} {most}", str(fewest))


def _peak(peak_bytes: float | None) -> str:
    return "" if peak_bytes is None else f"peak {format_bytes(peak_bytes)} extra"


def _number(value: float | None, fmt: Callable[[float], str], title: str = "") -> Td:
    return Td("", "") if value is None else Td(fmt(value), f"{value}", title=title)
