"""`interop-bench report RESULTS.json [MORE.json ...]`: the self-contained HTML report."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from interop_bench.analysis.load import ResultsFileError, load_all

HELP = "write the HTML report (verdict, figures, every cell) of one or more results files"
DESCRIPTION = """Write one self-contained HTML file (no network needed, opens from
file://) from one or more results files: the verdict (fastest strategy per size
band, crossovers), a ranking at the payload size you choose, latency,
throughput against the bandwidth roofline, overhead per call and x kernel,
where the time goes, memory per call, a sortable table of every cell, and the
environment. The figures are interactive (Vega-Lite, inlined): hide strategies
or families, highlight one across every figure, hover for values and
intervals, one plot per family; static SVG copies stay for print and for
browsers without script. The code behind each strategy (its Python adapter
and native side) is copied in from the source tree (--source), at the commit
the results were measured at when that repository has it. Several files are
overlaid (distinct line styles) and shown side by side in the table."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", nargs="+", help="results files written by `interop-bench run`")
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
        files = load_all(args.results)
    except ResultsFileError as error:
        print(f"interop-bench report: {error}", file=sys.stderr)
        return 2
    # Imported here: matplotlib takes a moment, and the other commands never need it.
    from interop_bench.report import render  # noqa: PLC0415

    written = render.write(files, args.output, args.source or source_tree())
    print(f"report written to {written}")
    return 0


def source_tree() -> Path:
    """The top of the git repository around the current directory, else the directory."""
    done = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    return Path(done.stdout.strip()) if done.returncode == 0 else Path.cwd()
