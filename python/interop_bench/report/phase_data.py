"""Where a call's time goes, as rows of the page's "phases" dataset.

A strategy that times the stages of its call (encode, cross, kernel, decode,
...) gives one row per stage at a few sizes of each label: its smallest,
middle and largest with phases, so the figure stays one screen tall.
"""

from __future__ import annotations

from typing import Any

from interop_bench.analysis.load import Cell, Results

PHASE_SIZES = 3


def rows(file_index: int, results: Results) -> list[dict[str, Any]]:
    """The stages of the chosen sizes' cells (their values formatted by the page)."""
    found = []
    for label in results.ops():
        timed = [c for c in results.cells if c.op == label and c.ok and c.phases_ns]
        for size in sizes(timed):
            for cell in (c for c in timed if c.size == size):
                found.extend(_stages(file_index, cell))
    return found


def sizes(cells: list[Cell]) -> list[int]:
    """The smallest, middle and largest size of the cells."""
    measured = sorted({c.size for c in cells})
    if len(measured) <= PHASE_SIZES:
        return measured
    return [measured[0], measured[len(measured) // 2], measured[-1]]


def _stages(file_index: int, cell: Cell) -> list[dict[str, Any]]:
    phases = cell.phases_ns or {}
    total = sum(phases.values()) or 1.0
    return [
        {
            "file": file_index,
            "s": cell.strategy,
            "op": cell.op,
            "bytes": cell.payload_bytes,
            "phase": name,
            "order": order,
            "share": round(100 * ns / total, 1),
            "ns": float(f"{ns:.4g}"),
            "med": float(f"{cell.median_ns:.4g}"),
        }
        for order, (name, ns) in enumerate(phases.items())
    ]
