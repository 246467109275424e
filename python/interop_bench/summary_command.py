"""`interop-bench summary RESULTS.json`: the strategies of one run, ranked, per label;
frames in ms per frame and frames per second; what an element costs per dtype."""

from __future__ import annotations

import argparse
import sys

from interop_bench.analysis.load import ResultsFileError, load
from interop_bench.analysis.summary import render
from interop_bench.stream.files import StreamFileError, read_stream_file
from interop_bench.stream.table import stream_table

HELP = "rank the strategies of one run: call time at the smallest size, GB/s at the largest"
DESCRIPTION = """Print, for each label of one results file (an op, op:dtype for the dtypes
other than float64), every strategy ranked by its throughput at the largest size,
with its call time (and rank) at the smallest size and its time relative to the
native kernel alone; the frame cells as ms per frame and frames per second at each
resolution, with whether the 30 and 60 fps budgets (33.3 / 16.7 ms) are met (pass),
missed (fail) or straddled by the 95% interval (borderline); and, when sum ran in
several dtypes, its cost per element and per byte in each. Given a stream file
(`interop-bench stream`), its table: tails, missed share and verdict per cell.
`--format markdown` fits a CI job summary; `compare` is the command for two runs."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", help="a results file written by `interop-bench run`")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")


def main(args: argparse.Namespace) -> int:
    try:
        stream = read_stream_file(args.results)
    except StreamFileError as error:
        print(f"interop-bench summary: {error}", file=sys.stderr)
        return 2
    if stream is not None:
        print(stream_table(stream, args.format))
        return 0
    try:
        results = load(args.results)
    except ResultsFileError as error:
        print(f"interop-bench summary: {error}", file=sys.stderr)
        return 2
    print(render(results, args.format))
    return 0
