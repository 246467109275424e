"""The summary of one run: the strategies ranked per label, frames in ms per
frame and frames per second, what an element costs per dtype (`interop-bench
summary` prints it, and `run` at its end)."""

from __future__ import annotations

from interop_bench.analysis import dtype_costs, frames, machine_speed, resolution, startup
from interop_bench.analysis.load import FRAME, Cell, Results
from interop_bench.analysis.ranking import OpRanking, Row, rank
from interop_bench.analysis.tables import render as table
from interop_bench.analysis.units import TIMES, format_bytes, format_ns, format_rate, format_ratio

HEADERS = (
    "#",
    "strategy",
    " small: time/call",
    " rank",
    " large: GB/s",
    f" {TIMES} kernel",
    "note",
)


def render(results: Results, fmt: str) -> str:
    """The ranking of every op of `results`, as text or Markdown (`run` prints it too)."""
    markdown = fmt == "markdown"
    title = f"interop-bench summary of `{results.path.name}`" if markdown else results.path.name
    parts = [("### " if markdown else "") + title, f"placement: {results.placement_text}"]
    if results.placed_rows_text:
        parts.append(f"placed rows: {results.placed_rows_text}")
    speed = machine_speed.of(results)
    if speed is not None:
        parts.append(f"machine: {speed.sentence()}")
    told = resolution.sentence(results)
    if told is not None:
        parts.append(f"this run tells apart {told}")
    for op in rank(results):
        if op.op == FRAME:
            continue  # in frames per second below
        parts.append(_heading(op, markdown))
        parts.append(table(HEADERS, [_row(r) for r in op.rows], fmt))
    parts += _frame_parts(results, fmt)
    parts += _dtype_parts(results, fmt)
    broken = [c for c in (*results.cells, *results.floor_cells) if c.status == "miscalibrated"]
    if broken:
        names = ", ".join(f"{c.strategy} {c.op}@{c.size:g}" for c in broken)
        parts.append(
            f"{len(broken)} cell(s) broke the sampling rule (samples shorter than the "
            f"sample target; status miscalibrated, never ranked or compared): {names}"
        )
    if not results.cells:
        parts.append("no cells in this file")
    for line in startup.lines(results):
        parts.append(f"start-up, once per process (not in the cells): {line}")
    return "\n\n".join(parts)


def _heading(op: OpRanking, markdown: bool) -> str:
    text = (
        f"{op.op}: small = {_elements(op.small_size)} ({format_bytes(op.small_payload_bytes)}), "
        f"large = {_elements(op.large_size)} ({format_bytes(op.large_payload_bytes)})"
    )
    return f"#### {text}" if markdown else text


def _elements(size: int) -> str:
    return f"{size:,} element" + ("" if size == 1 else "s")


def _row(row: Row) -> list[str]:
    return [
        "" if row.large_rank is None else str(row.large_rank),
        row.strategy,
        "" if row.small_ns is None else format_ns(row.small_ns),
        "" if row.small_rank is None else str(row.small_rank),
        "" if row.large_bytes_per_s is None else format_rate(row.large_bytes_per_s),
        "" if row.vs_kernel is None else format_ratio(row.vs_kernel),
        row.note,
    ]


def _frame_parts(results: Results, fmt: str) -> list[str]:
    """The frame cells: ms per frame and fps at each resolution, the budgets at the largest."""
    names = frames.resolutions(results)
    if not names:
        return []
    largest = names[-1]
    headers = (
        "strategy",
        *(f" {name}: ms/frame (fps)" for name in names),
        *(f"{fps} fps at {largest}" for fps in frames.FRAME_RATES),
    )
    rows = []
    for strategy, per in sorted(frames.by_strategy(results, kernel=True).items()):
        at_largest = per.get(largest)
        rows.append(
            [
                strategy,
                *(_frame_text(per.get(name)) for name in names),
                *(
                    at_largest.verdicts[fps] if isinstance(at_largest, frames.FrameTime) else ""
                    for fps in frames.FRAME_RATES
                ),
            ]
        )
    budgets = ", ".join(f"{fps} fps = {frames.budget_ms(fps):.1f} ms" for fps in frames.FRAME_RATES)
    heading = (
        f"frame (RGB to gray): ms per frame and frames per second; budgets {budgets} "
        "(pass: the 95% interval within, fail: above, borderline: across)"
    )
    return [("#### " if fmt == "markdown" else "") + heading, table(headers, rows, fmt)]


def _frame_text(entry: frames.FrameTime | Cell | None) -> str:
    if entry is None:
        return "not run"
    if isinstance(entry, frames.FrameTime):
        return f"{entry.ms:.3g} ms ({entry.fps:.3g} fps)"
    return entry.status


def _dtype_parts(results: Results, fmt: str) -> list[str]:
    """sum's cost per element and per byte in each dtype, at one size."""
    found = dtype_costs.costs(results)
    if not found:
        return []
    size = found[0].size
    headers = ("strategy", "dtype", " time/call", " ns/element", " ns/byte")
    rows = [
        [
            c.strategy,
            c.dtype,
            format_ns(c.median_ns),
            f"{c.ns_per_element:.3g}",
            f"{c.ns_per_byte:.3g}",
        ]
        for c in found
    ]
    heading = (
        f"{dtype_costs.DEFAULT_OP} per dtype at {_elements(size)}: cost per element and per byte"
    )
    return [("#### " if fmt == "markdown" else "") + heading, table(headers, rows, fmt)]
