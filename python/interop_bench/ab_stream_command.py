"""`interop-bench ab-stream --baseline REF`: `ab` for streams, this checkout's tails against
another commit's, on this machine, now.

Two stream runs made at different times share less than they seem: a tail is
decided by the machine's worst moments, and those come and go over minutes. So
the baseline is built beside this checkout (runner/baseline.py, as `ab` does) and
both stream the same cells in alternating passes: each pass of one side is
followed by the same pass of the other (baseline first in even passes, this
checkout first in odd ones). Pass 0 settles a cell (no later pass) only where it
settles it on both sides, so the two files hold the same passes of the same
cells. Each cell is then compared as `compare` compares two stream files
(analysis/stream_compare.py): p99 and the missed share, a change counted only
outside both sides' intervals across processes.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import datetime, timezone
from pathlib import Path

from interop_bench import arguments, results_file
from interop_bench.analysis import stream_compare
from interop_bench.runner import baseline, placement
from interop_bench.stream import flags
from interop_bench.stream.files import StreamFile
from interop_bench.stream.run import INTERRUPTED, StreamRequest, StreamRun, alternate

HELP = "stream a baseline commit and this checkout in alternating passes; exit 1 on a regression"
DESCRIPTION = """Build the baseline commit into its own worktree and virtual environment
(build/ab/<commit>/, kept for the next time; shared with `ab`), then stream the
same cells through the baseline and this checkout in alternating passes on this
machine, and compare each cell's p99 and missed share as `compare` compares two
stream files: a change counts only where the two sides' intervals across
processes do not overlap and it exceeds --threshold (p99) or 1% of the frames
(missed share); a cell that was ok and now fails is a regression. Writes
baseline.json and current.json (stream files) into --out-dir and prints the table.

The stream flags are `interop-bench stream`'s; without --duration each cell
streams the 1,000 frames a process needs to resolve its p99 (16.7 s at 60 fps),
in 3 processes a side: `ab-stream --strategies capi,shm --duration 4` is a
quicker gate that compares the missed share alone (too few frames for p99's
interval).

exit status: 0 no regression, 1 regression (0 with --report-only),
             2 bad input or a baseline that does not exist, does not build or
             cannot stream, 130 interrupted (what was measured is in --out-dir)"""

FORMATS = ("text", "markdown", "json")
MEASURING_MODULE = "interop_bench.stream.process"
MIN_PROCESSES = 3  # the fewest that give p99 and the missed share an interval


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--baseline", required=True, metavar="REF", help="commit to compare with")
    flags.add_stream_flags(parser)
    parser.add_argument(
        "--threshold",
        type=arguments.threshold,
        default=0.10,
        help="the least p99 change that counts, as a fraction (default %(default)s)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--out-dir", type=Path, help="default: results/ab-stream-<UTC stamp>")
    baseline.add_ab_dir(parser)
    parser.add_argument("--report-only", action="store_true", help="exit 0 on a regression")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def _prepare(args: argparse.Namespace, out_dir: Path) -> tuple[baseline.Baseline, StreamRequest]:
    """The built baseline and the request both sides stream: the strategies asked
    that the baseline has too (all of them when none were named)."""
    repository = Path.cwd()
    request = flags.request_of(args)  # before the build: a bad flag must not cost minutes
    if request.processes < MIN_PROCESSES:
        raise flags.UsageError(
            f"--processes must be at least {MIN_PROCESSES}: a side's interval across "
            "processes is what a change is tested against"
        )
    commit = baseline.resolve(repository, args.baseline)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not args.quiet:
        print(f"interop-bench ab-stream: building baseline {commit[:12]} ...", file=sys.stderr)
    base = baseline.prepare(repository, commit, args.ab_dir, out_dir / "baseline-build.log")
    base.check_module(MEASURING_MODULE, "streams (`interop-bench stream`)")
    theirs = set(base.strategies())
    missing = [name for name in request.strategies if name not in theirs]
    if missing and args.strategies:
        raise flags.UsageError(
            f"baseline {commit[:12]} has no strategy {', '.join(map(repr, missing))}"
        )
    kept = tuple(name for name in request.strategies if name in theirs)
    placement.check_baseline(placement.stored(request.placement), base.source)
    return base, dataclasses.replace(request, strategies=kept)


def _side(
    request: StreamRequest, path: Path, command: list[str], label: str, quiet: bool
) -> StreamRun:
    def say(text: str) -> None:
        if not quiet:
            print(f"{label}: {text}", file=sys.stderr, flush=True)

    return StreamRun(request, path, say, command=command)


def main(args: argparse.Namespace) -> int:
    stamp = results_file.utc_stamp(datetime.now(timezone.utc))
    out_dir = args.out_dir or Path("results") / f"ab-stream-{stamp}"
    try:
        base, request = _prepare(args, out_dir)
    except (flags.UsageError, baseline.BaselineError, placement.PlacementError) as error:
        print(f"interop-bench ab-stream: {error}", file=sys.stderr)
        return 2
    except flags.NothingToStreamError as nothing:
        print(f"interop-bench ab-stream: {nothing}", file=sys.stderr)
        return 0
    placement.configure(placement.stored(request.placement))  # for both sides' processes
    label = f"baseline {base.commit[:12]}"
    sides = [
        _side(
            request,
            out_dir / "baseline.json",
            [str(base.python), "-m", MEASURING_MODULE],
            label,
            args.quiet,
        ),
        _side(
            request,
            out_dir / "current.json",
            [sys.executable, "-m", MEASURING_MODULE],
            "this checkout",
            args.quiet,
        ),
    ]
    status = alternate(sides, request.processes, sides[1].say)
    if status == INTERRUPTED:
        print(f"\ninterrupted: partial stream files in {out_dir}", file=sys.stderr)
        return INTERRUPTED
    comparison = stream_compare.compare_streams(
        StreamFile(out_dir / "baseline.json", label, sides[0].document),
        StreamFile(out_dir / "current.json", "this checkout", sides[1].document),
        threshold=args.threshold,
    )
    sys.stdout.write(stream_compare.render(comparison, args.format, (label, "this checkout")))
    return 1 if comparison.regressions and not args.report_only else 0
