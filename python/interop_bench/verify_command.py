"""`interop-bench verify RESULTS`: re-measure a file's small cells with timeit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from interop_bench import verify
from interop_bench.analysis.load import ResultsFileError, load

HELP = "check a results file's small cells against an independent timeit loop"
DESCRIPTION = """Re-measure up to --cells of the file's small cells (file median below
--max-median-us; cells whose samples were shorter than the run's sample target
first) with the standard library's timeit, which shares no code with the runner:
each cell is timed once per round, the cells interleaved in a new random order
every round. For each cell it prints the file's median, timeit's (median of the
rounds, with a 95% order-statistics interval) and their ratio with the interval
both allow. A ratio whose interval lies wholly outside [1/(1+T), 1+T]
(--tolerance T) disagrees. Run it on the machine that wrote the file, soon after:
a machine that changed speed since moves every ratio alike.

exit status: 0 every checked cell agrees, 1 some disagree or could not be
             measured, 2 bad input"""


def configure(parser: argparse.ArgumentParser) -> None:
    defaults = verify.Options()
    parser.add_argument("results", type=Path, help="a results file (results/*.json)")
    parser.add_argument("--strategies", metavar="A,B", help="only these strategies' cells")
    parser.add_argument(
        "--cells",
        type=int,
        default=defaults.cells,
        help=f"at most N cells (default {defaults.cells})",
    )
    parser.add_argument(
        "--rounds", type=int, default=defaults.rounds, help=f"rounds (default {defaults.rounds})"
    )
    parser.add_argument(
        "--max-median-us",
        type=float,
        default=defaults.max_median_ns / 1e3,
        help="small cells: file median below this many µs (default %(default)g)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=defaults.tolerance,
        help="the band a ratio's interval must reach (default %(default)g: ±10%%)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="which cells, their order")


def options_of(args: argparse.Namespace) -> verify.Options | str:
    """The options of a command line, or what is wrong with it."""
    if args.cells < 1 or args.rounds < 3:
        return "--cells must be at least 1 and --rounds at least 3"
    if args.max_median_us <= 0 or args.tolerance < 0:
        return "--max-median-us must be positive and --tolerance not negative"
    names = tuple(n.strip() for n in (args.strategies or "").split(",") if n.strip())
    return verify.Options(
        cells=args.cells,
        rounds=args.rounds,
        max_median_ns=args.max_median_us * 1e3,
        tolerance=args.tolerance,
        seed=args.seed,
        strategies=names,
    )


def main(args: argparse.Namespace) -> int:
    options = options_of(args)
    if isinstance(options, str):
        print(f"interop-bench verify: {options}", file=sys.stderr)
        return 2
    try:
        results = load(args.results)
    except ResultsFileError as error:
        print(f"interop-bench verify: {error}", file=sys.stderr)
        return 2
    unknown = sorted(set(options.strategies) - {c.strategy for c in results.cells})
    if unknown:
        print(
            f"interop-bench verify: no cells of {', '.join(unknown)} in {args.results}",
            file=sys.stderr,
        )
        return 2
    return verify.report(results, options, lambda text: print(text, file=sys.stderr, flush=True))
