"""`interop-bench summary RESULTS.json`: the strategies of one run, ranked, per op."""

from __future__ import annotations

import argparse
import sys

from interop_bench.analysis import startup
from interop_bench.analysis.load import Results, ResultsFileError, load
from interop_bench.analysis.ranking import OpRanking, Row, rank
from interop_bench.analysis.tables import render as table
from interop_bench.analysis.units import TIMES, format_bytes, format_ns, format_rate, format_ratio

HELP = "rank the strategies of one run: call time at the smallest size, GB/s at the largest"
DESCRIPTION = """Print, for each op of one results file, every strategy ranked by its
throughput at the largest size, with its call time (and rank) at the smallest size
and its time relative to the native kernel alone. `--format markdown` fits a CI job
summary; `compare` is the command for two runs."""

HEADERS = (
    "#",
    "strategy",
    " small: time/call",
    " rank",
    " large: GB/s",
    f" {TIMES} kernel",
    "note",
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", help="a results file written by `interop-bench run`")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")


def main(args: argparse.Namespace) -> int:
    try:
        results = load(args.results)
    except ResultsFileError as error:
        print(f"interop-bench summary: {error}", file=sys.stderr)
        return 2
    print(render(results, args.format))
    return 0


def render(results: Results, fmt: str) -> str:
    """The ranking of every op of `results`, as text or Markdown (`run` prints it too)."""
    markdown = fmt == "markdown"
    title = f"interop-bench summary of `{results.path.name}`" if markdown else results.path.name
    parts = [("### " if markdown else "") + title]
    for op in rank(results):
        parts.append(_heading(op, markdown))
        parts.append(table(HEADERS, [_row(r) for r in op.rows], fmt))
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
