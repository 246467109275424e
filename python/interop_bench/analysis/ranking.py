"""One run's strategies ranked against each other, op by op.

Two numbers decide most choices: the time of a call at the smallest size (the
fixed cost of crossing the boundary) and the throughput at the largest size
(how close to memory bandwidth a strategy gets). Rows are ranked by the
latter, with the former's rank beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from interop_bench.analysis.load import Cell, Results


@dataclass(frozen=True)
class Row:
    strategy: str
    small_ns: float | None
    small_rank: int | None
    large_bytes_per_s: float | None
    large_rank: int | None
    vs_kernel: float | None  # median / native kernel-only median at the large size
    note: str  # why a number is missing


@dataclass(frozen=True)
class OpRanking:
    op: str
    small_size: int
    large_size: int
    rows: tuple[Row, ...]
    small_payload_bytes: int = 0
    large_payload_bytes: int = 0


def rank(results: Results) -> list[OpRanking]:
    return [_op(results, op) for op in results.ops()]


def _op(results: Results, op: str) -> OpRanking:
    cells = [c for c in results.cells if c.op == op]
    small = min(c.size for c in cells)
    large = max(c.size for c in cells)
    at_small = {c.strategy: c for c in cells if c.size == small}
    at_large = {c.strategy: c for c in cells if c.size == large}
    small_ranks = _ranks({s: c.median_ns for s, c in at_small.items() if c.ok})
    # The same payload for all, so the shortest time is the highest throughput.
    large_ranks = _ranks({s: c.median_ns for s, c in at_large.items() if c.ok})
    rows = []
    rows_of = {n for n, info in results.strategy_info.items() if info.get("row_of")}
    for strategy in sorted({c.strategy for c in cells}):
        s_cell, l_cell = at_small.get(strategy), at_large.get(strategy)
        rows.append(
            Row(
                strategy=strategy,
                small_ns=s_cell.median_ns if s_cell and s_cell.ok else None,
                small_rank=small_ranks.get(strategy),
                large_bytes_per_s=l_cell.stat("throughput_bytes_per_s")
                if l_cell and l_cell.ok
                else None,
                large_rank=large_ranks.get(strategy),
                vs_kernel=results.versus_kernel(l_cell)[0] if l_cell and l_cell.ok else None,
                note=_note(s_cell, l_cell) if strategy not in rows_of else _placed_note(s_cell),
            )
        )
    rows.sort(key=lambda r: (r.large_rank or 10**9, r.small_rank or 10**9, r.strategy))
    payload = {c.size: c.payload_bytes for c in cells}
    return OpRanking(op, small, large, tuple(rows), payload[small], payload[large])


def _ranks(values: dict[str, float]) -> dict[str, int]:
    """1 for the shortest time."""
    ordered = sorted(values, key=values.__getitem__)
    return {name: rank for rank, name in enumerate(ordered, start=1)}


# A placed row (name@placement, runner/placed_rows.py) runs at a few small sizes only.
PLACED_NOTE = "pinned row: small sizes only"


def _placed_note(small: Cell | None) -> str:
    return "; ".join(filter(None, (_note(small), PLACED_NOTE)))


def _note(*cells: Cell | None) -> str:
    notes = []
    for cell in cells:
        if cell is None:
            notes.append("not run")
        elif not cell.ok:
            notes.append(f"{cell.status}" + (f": {cell.reason}" if cell.reason else ""))
    return "; ".join(dict.fromkeys(notes))
