"""The table of every cell, one table per op, files side by side."""

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
    "95% CI of median",
    "p99",
    "throughput",
    f"{TIMES} kernel",
    f"memory {TIMES} payload",
    "status",
)


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
    maps = [r.cell_map() for r in files]
    keys = sorted({(c.strategy, c.size) for r in files for c in r.cells if c.op == op})
    rows = []
    for strategy, size in keys:
        row = [
            Td(strategy, strategy),
            Td(f"{size:,}", str(size)),
            Td(format_bytes(size * 8), str(size)),
        ]
        for results, cells in zip(files, maps, strict=True):
            row.extend(_file_columns(results, cells.get((strategy, op, size))))
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
    kernel = results.kernel_ns(cell.op, cell.size)
    overhead = cell.stat("overhead_ns")
    memory = cell.memory_payload_ratio
    return [
        Td(format_ns(median), f"{median}"),
        Td(
            _ci_text(low, high),
            f"{(high or median) - (low or median)}",
            title=f"{(high - low) / median:.1%} of the median wide" if low and high else "",
        ),
        _number(p99, format_ns),
        _number(rate, format_rate),
        Td(
            format_ratio(median / kernel),
            f"{median / kernel}",
            title=f"overhead {format_ns(overhead)} over the kernel alone" if overhead else "",
        )
        if kernel
        else Td("", ""),
        _number(memory, format_ratio, title=_peak(cell.memory_peak_bytes)),
        Td(
            "ok",
            "ok",
            "status-ok",
            title=f"{int(cell.stats.get('samples', 0))} samples, "
            f"stopped by {cell.stats.get('stop_reason', '?')}",
        ),
    ]


def _peak(peak_bytes: float | None) -> str:
    return "" if peak_bytes is None else f"peak {format_bytes(peak_bytes)} extra"


def _ci_text(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"{format_ns(low)} {DASH} {format_ns(high)}"


def _number(value: float | None, fmt: Callable[[float], str], title: str = "") -> Td:
    return Td("", "") if value is None else Td(fmt(value), f"{value}", title=title)
