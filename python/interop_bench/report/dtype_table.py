"""The dtypes section: sum's cost per element and per byte in each dtype, file by file."""

from __future__ import annotations

from dataclasses import dataclass

from interop_bench.analysis import dtype_costs
from interop_bench.analysis.load import Results
from interop_bench.analysis.units import format_ns
from interop_bench.report.cell_table import Td

COLUMNS = ("time/call", "ns/element", "ns/byte")


@dataclass(frozen=True)
class DtypeTable:
    file_label: str
    op: str
    size: int
    dtypes: tuple[str, ...]
    rows: tuple[tuple[Td, ...], ...]


def tables(files: list[Results]) -> list[DtypeTable]:
    """One table per file whose sum ran in two dtypes or more."""
    return [table for results in files if (table := _table(results)) is not None]


def _table(results: Results) -> DtypeTable | None:
    found = dtype_costs.costs(results)
    if not found:
        return None
    dtypes = tuple(dtype_costs.dtypes_of(results))
    by_strategy: dict[str, dict[str, dtype_costs.DtypeCost]] = {}
    for cost in found:
        by_strategy.setdefault(cost.strategy, {})[cost.dtype] = cost
    rows = []
    for strategy, per in sorted(by_strategy.items()):
        row = [Td(strategy, strategy)]
        for dtype in dtypes:
            at = per.get(dtype)
            if at is None:
                row += [Td("", "")] * len(COLUMNS)
                continue
            row += [
                Td(format_ns(at.median_ns), f"{at.median_ns}", title=at.label),
                Td(f"{at.ns_per_element:.3g}", f"{at.ns_per_element}"),
                Td(f"{at.ns_per_byte:.3g}", f"{at.ns_per_byte}"),
            ]
        rows.append(tuple(row))
    return DtypeTable(results.label, dtype_costs.DEFAULT_OP, found[0].size, dtypes, tuple(rows))
