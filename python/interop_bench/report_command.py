"""`interop-bench report RESULTS.json [MORE.json ...]`: the self-contained HTML report."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from interop_bench.analysis.load import ResultsFileError, load_all
from interop_bench.stream.files import StreamFileError, partition

HELP = "write the HTML report (decision card, verdict, figures, every cell) of results files"
DESCRIPTION = """Write one self-contained HTML file (no network needed, opens from
file://) from one or more results files. It opens on a decision card: where
your C++ side runs (same process, another process, another host), the op, the
dtype and the payload, answered from the data (the strategy to use, its time,
throughput and x kernel with intervals, the next two, why, what it copies).
Then the evidence: the verdict per op and size band (details folded), a
ranking at the payload you choose (files side by side), latency, throughput
against the bandwidth roofline, overhead per call and x kernel, where the time
goes, memory per call, frames, dtypes, a searched, filtered and sorted table of
every cell, and the environment. The figures are interactive (Vega-Lite,
inlined) and open on the best strategy of each family, ctypes and numpy
("show all" brings back the rest): hide strategies or families, highlight one
across every figure, hover for values and intervals, one plot per family;
static SVG copies of that view and a static table of every cell stay for print
and for browsers without script. The code behind each strategy (its Python
adapter and native side) is copied in from the source tree (--source), at the
commit the results were measured at when that repository has it. Several files
are overlaid (distinct line styles) and shown side by side in the tables.

Stream files (`interop-bench stream`, recognised by their kind, whatever their
name) may be given beside them: a Streams section next to the frames (per
resolution and rate, each strategy's verdict, p50, p99, p99.9, max, missed
share, dropped frames and CPU per frame against the kernel alone paced the
same way, a percentile spectrum, and where the isolated-call median and the
stream disagree), and for frames the decision card answers from the stream."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        nargs="+",
        help="results files of `interop-bench run`, and stream files of `interop-bench stream`",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("reports/index.html"),
        help="the HTML file to write (default: reports/index.html)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help="the interop-bench source tree to copy each strategy's code from "
        "(default: the git repository of the current directory, else the current directory)",
    )


def main(args: argparse.Namespace) -> int:
    try:
        matrix, streams = partition(args.results)
        if not matrix:
            raise ResultsFileError(
                "only stream files given: the report needs a results file of `interop-bench run` "
                "too (the stream files are shown beside its frames)"
            )
        files = load_all(matrix)
    except (ResultsFileError, StreamFileError) as error:
        print(f"interop-bench report: {error}", file=sys.stderr)
        return 2
    # Imported here: matplotlib takes a moment, and the other commands never need it.
    from interop_bench.report import render  # noqa: PLC0415

    written = render.write(files, args.output, args.source or source_tree(), tuple(streams))
    print(f"report written to {written}")
    return 0


def source_tree() -> Path:
    """The top of the git repository around the current directory, else the directory."""
    done = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    return Path(done.stdout.strip()) if done.returncode == 0 else Path.cwd()
