"""What an element and a byte cost in each dtype: one op at one size, strategy by strategy.

At equal element counts a uint8 array moves an eighth of float64's bytes: a
strategy whose time per element falls with the element's size is bound by
bytes (a copy, a socket), one whose time per element does not is bound by the
call or the kernel. Cells of one strategy and one size, one per dtype, side by
side show which.
"""

from __future__ import annotations

from dataclasses import dataclass

from interop_bench.analysis.load import Cell, Results

DEFAULT_OP = "sum"


@dataclass(frozen=True)
class DtypeCost:
    strategy: str
    dtype: str
    label: str
    size: int
    median_ns: float
    ns_per_element: float
    ns_per_byte: float


def cells_of(results: Results, op: str = DEFAULT_OP) -> list[Cell]:
    """The ok cells of `op` in any dtype (its labels: "sum", "sum:uint8", ...)."""
    return [c for c in results.cells if c.base_op == op and c.ok]


def dtypes_of(results: Results, op: str = DEFAULT_OP) -> list[str]:
    """The dtypes `op` was measured in, in the order the file holds them."""
    return list(dict.fromkeys(c.dtype for c in cells_of(results, op)))


def chosen_size(results: Results, op: str = DEFAULT_OP) -> int | None:
    """The largest size at which `op` was measured in the most dtypes (None
    when it was measured in fewer than two: nothing to set side by side)."""
    dtypes_at: dict[int, set[str]] = {}
    for cell in cells_of(results, op):
        dtypes_at.setdefault(cell.size, set()).add(cell.dtype)
    if not dtypes_at or max(len(d) for d in dtypes_at.values()) < 2:
        return None
    most = max(len(d) for d in dtypes_at.values())
    return max(size for size, d in dtypes_at.items() if len(d) == most)


def costs(results: Results, op: str = DEFAULT_OP, size: int | None = None) -> list[DtypeCost]:
    """Per strategy and dtype, `op` at `size` (chosen_size when None): ns per
    element and per byte. Empty when there is nothing to compare."""
    at = chosen_size(results, op) if size is None else size
    if at is None:
        return []
    order = {dtype: index for index, dtype in enumerate(dtypes_of(results, op))}
    found = [
        DtypeCost(
            strategy=cell.strategy,
            dtype=cell.dtype,
            label=cell.op,
            size=cell.size,
            median_ns=cell.median_ns,
            ns_per_element=cell.median_ns / max(cell.size, 1),
            ns_per_byte=cell.median_ns / max(cell.payload_bytes, 1),
        )
        for cell in cells_of(results, op)
        if cell.size == at
    ]
    return sorted(found, key=lambda c: (c.strategy, order[c.dtype]))
