"""`interop-bench compare OLD.json NEW.json`: did anything get significantly slower?"""

from __future__ import annotations

import argparse
import sys

from interop_bench.analysis import compare_render
from interop_bench.analysis.compare import compare
from interop_bench.analysis.load import ResultsFileError, load

HELP = "compare two results files cell by cell; exit 1 on a significant regression"
DESCRIPTION = """Compare two results files (e.g. main vs a branch, or last week vs today)
cell by cell: the ratio of the medians and a two-sided Mann-Whitney U test on the
raw samples. A cell is a regression when it is significantly slower (p < alpha)
AND slower by more than the threshold, or when it now gives a wrong answer.

exit status: 0 no regression, 1 regression (0 with --report-only),
             2 bad input (unreadable file, wrong schema version)"""

FORMATS = ("text", "markdown", "json")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", help="the results file to compare against (baseline)")
    parser.add_argument("new", help="the results file under test")
    parser.add_argument(
        "--threshold",
        type=parse_threshold,
        default=0.10,
        help="slowdown of the median that counts as a regression, e.g. 10%% (default) or 0.1",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=0.01,
        help="significance level of the rank test (default 0.01)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="always exit 0 unless the input is bad (for CI on noisy machines)",
    )


def parse_threshold(text: str) -> float:
    """`10%` or `0.1` -> 0.1. A bare number of 1 or more is refused as ambiguous."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        message = f"threshold {text!r} is not a number like 10% or 0.1"
        raise argparse.ArgumentTypeError(message) from None
    if not 0 <= value < 1 or (not text.endswith("%") and value >= 1):
        raise argparse.ArgumentTypeError(
            f"threshold {text!r} out of range: give a percentage (10%) or a fraction below 1"
        )
    return value


def main(args: argparse.Namespace) -> int:
    if not 0 < args.alpha < 1:
        print(f"interop-bench compare: --alpha {args.alpha} must be in (0, 1)", file=sys.stderr)
        return 2
    try:
        old, new = load(args.old), load(args.new)
    except ResultsFileError as error:
        print(f"interop-bench compare: {error}", file=sys.stderr)
        return 2
    comparison = compare(old, new, threshold=args.threshold, alpha=args.alpha)
    if comparison.machine_warning:
        print(f"interop-bench compare: WARNING: {comparison.machine_warning}", file=sys.stderr)
    sys.stdout.write(compare_render.render(comparison, args.format))
    return 1 if comparison.regressions and not args.report_only else 0
