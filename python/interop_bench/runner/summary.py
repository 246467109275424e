"""The table `interop-bench run` prints at the end: one line per strategy x op."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

HEADER = ("strategy", "op", "median@smallest", "GB/s@largest")
COUNTED = ("ok", "incorrect", "skipped", "error")


def _human_ns(value_ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if value_ns >= scale:
            return f"{value_ns / scale:.3g} {unit}"
    return f"{value_ns:.3g} ns"


def _row(strategy: str, op: str, cells: list[dict[str, Any]]) -> tuple[str, ...]:
    ok = sorted((cell for cell in cells if cell["status"] == "ok"), key=lambda cell: cell["size"])
    counts = [sum(cell["status"] == status for cell in cells) for status in COUNTED]
    smallest = f"{_human_ns(ok[0]['stats']['median_ns'])} (n={ok[0]['size']:g})" if ok else "-"
    rate = ok[-1]["stats"]["throughput_bytes_per_s"] if ok else None
    largest = f"{rate / 1e9:.3g} (n={ok[-1]['size']:g})" if ok and rate else "-"
    return (strategy, op, smallest, largest, *(str(count) for count in counts))


def table(cells: Iterable[dict[str, Any]], strategies: list[str], ops: list[str]) -> str:
    """Fixed-width text: median per call at the smallest measured size,
    throughput at the largest, and the count of cells by status."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for cell in cells:
        groups.setdefault((cell["strategy"], cell["op"]), []).append(cell)
    rows: list[tuple[str, ...]] = [(*HEADER, *COUNTED)]
    rows += [
        _row(name, op, groups[(name, op)])
        for name in strategies
        for op in ops
        if (name, op) in groups
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)
