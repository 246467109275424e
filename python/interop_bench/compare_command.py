"""`interop-bench compare OLD.json NEW.json`: did anything get significantly slower?"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from interop_bench import arguments
from interop_bench.analysis import compare_render, stream_compare
from interop_bench.analysis.compare import INSTRUCTIONS_THRESHOLD, compare
from interop_bench.analysis.load import ResultsFileError, load
from interop_bench.analysis.stream_compare import compare_streams
from interop_bench.stream.files import (
    KIND,
    StreamFile,
    StreamFileError,
    described,
    kind_of,
    read_stream_file,
)

HELP = "compare two results files cell by cell; exit 1 on a significant regression"
DESCRIPTION = """Compare two results files (e.g. main vs a branch, or last week vs today)
cell by cell, on what reproduces: each cell's per-process medians. Welch's t test
on their logarithms gives a p-value and a 95% interval of the ratio new/old;
significance is decided over all cells at once with the Benjamini-Hochberg
procedure at --alpha, so that an A/A comparison (two runs of one commit) flags
nothing but by a chance below alpha. A cell is a regression when it is
significantly slower AND slower by more than the threshold, when it now gives
a wrong answer or raises, or when it runs more instructions per call (Valgrind
counts, where both files have them) than --instructions-threshold allows. Cells
with fewer than 3 processes on a side are not tested; cells whose interval is
wider than the threshold are "noisy" (the data cannot tell).

Two stream files (`interop-bench stream`, told apart by their kind) are compared
on each cell's p99 and missed share: a regression only where the two runs'
95% intervals across processes do not overlap and the change passes the
threshold (p99) or 1% of the frames (missed share); a cell of one process
is not tested. A stream file against a results file is an error naming both.

Two files measured at different times share less than it seems: to gate CI on
a noisy machine, `interop-bench ab` measures two commits in alternating processes.

exit status: 0 no regression, 1 regression (0 with --report-only),
             2 bad input (unreadable file, wrong schema version)"""

FORMATS = ("text", "markdown", "json")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", help="the results file to compare against (baseline)")
    parser.add_argument("new", help="the results file under test")
    parser.add_argument(
        "--threshold",
        type=arguments.threshold,
        default=0.10,
        help="slowdown of the median that counts as a regression, e.g. 10%% (default) or 0.1",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=0.01,
        help="false discovery rate over all cells (default 0.01)",
    )
    parser.add_argument(
        "--instructions-threshold",
        type=arguments.threshold,
        default=INSTRUCTIONS_THRESHOLD,
        help="growth of instructions per call that counts as a regression (default 15%%: two "
        "builds of one commit can differ by up to 11%% for the smallest calls)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="always exit 0 unless the input is bad (for CI on noisy machines)",
    )


def main(args: argparse.Namespace) -> int:
    if not 0 < args.alpha < 1:
        print(f"interop-bench compare: --alpha {args.alpha} must be in (0, 1)", file=sys.stderr)
        return 2
    try:
        kinds = (kind_of(args.old), kind_of(args.new))
        if kinds[0] != kinds[1]:
            raise ResultsFileError(
                f"{args.old} is {described(kinds[0])} and {args.new} is {described(kinds[1])}: "
                "compare takes two files of one kind"
            )
        if kinds[0] == KIND:
            return _compare_streams(args)
        old, new = load(args.old), load(args.new)
    except (ResultsFileError, StreamFileError) as error:
        print(f"interop-bench compare: {error}", file=sys.stderr)
        return 2
    comparison = compare(
        old,
        new,
        threshold=args.threshold,
        alpha=args.alpha,
        instructions_threshold=args.instructions_threshold,
    )
    for warning in comparison.warnings:
        print(f"interop-bench compare: WARNING: {warning}", file=sys.stderr)
    sys.stdout.write(compare_render.render(comparison, args.format))
    return 1 if comparison.regressions and not args.report_only else 0


def _compare_streams(args: argparse.Namespace) -> int:
    """Two stream files: p99 and missed share per cell, against each run's own spread."""
    files = [
        StreamFile(Path(p), Path(p).stem, read_stream_file(p) or {}) for p in (args.old, args.new)
    ]
    comparison = compare_streams(files[0], files[1], threshold=args.threshold)
    labels = (files[0].label, files[1].label)
    sys.stdout.write(stream_compare.render(comparison, args.format, labels))
    return 1 if comparison.regressions and not args.report_only else 0
