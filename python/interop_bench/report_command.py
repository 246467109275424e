"""`interop-bench report RESULTS.json [MORE.json ...]`: the self-contained HTML report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from interop_bench.analysis.load import ResultsFileError, load_all

HELP = "write the HTML report (verdict, figures, every cell) of one or more results files"
DESCRIPTION = """Write one self-contained HTML file (figures inline as SVG, no network
needed, opens from file://) from one or more results files: the verdict (fastest
strategy per size band, crossovers), latency, throughput against the bandwidth
roofline, fixed overhead per call, where the time goes, memory per call, a
sortable table of every cell, and the environment. Several files are overlaid
(distinct line styles) and shown side by side in the table."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", nargs="+", help="results files written by `interop-bench run`")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("reports/index.html"),
        help="the HTML file to write (default: reports/index.html)",
    )


def main(args: argparse.Namespace) -> int:
    try:
        files = load_all(args.results)
    except ResultsFileError as error:
        print(f"interop-bench report: {error}", file=sys.stderr)
        return 2
    # Imported here: matplotlib takes a moment, and the other commands never need it.
    from interop_bench.report import render  # noqa: PLC0415

    written = render.write(files, args.output)
    print(f"report written to {written}")
    return 0
