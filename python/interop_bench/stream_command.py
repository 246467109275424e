"""`interop-bench stream`: frames at a fixed rate, their tails and missed deadlines."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from interop_bench import results_file
from interop_bench.runner import placement
from interop_bench.stream import flags
from interop_bench.stream.run import INTERRUPTED, StreamRun
from interop_bench.stream.table import stream_table

HELP = "stream frames at a fixed rate: latency percentiles, missed deadlines, CPU per frame"
DESCRIPTION = """Send RGB frames through each strategy's frame op (to a gray image) at a fixed
rate for --duration seconds, with --depth frames in flight (1: one synchronous
caller; 2: double buffering, two calls overlapping where the strategy allows).
Each frame's latency runs from the moment it was due to the moment its gray image
is back in Python, so a stall counts against every frame it delays. A frame
misses its deadline when it is done later than one period after it was due. Per
cell: p50, p90, p99 (with its interval across processes), p99.9 ("= max" when
the frames are too few to tell), max, the missed share with its interval, the
achieved rate and the CPU per frame of the caller's calls and of the strategy's
worker processes. The kernel alone, paced the same way, is the floor.

The defaults answer one situation, 1080p at 60 fps at depth 1 and 2, in 3
processes of 1,000 frames a cell (what a process needs to resolve its own p99,
so that p99 gets an interval). Pass 0 goes from the lightest load up: a
stream that sent under half of its frames due once 120 were due stops there
(it cannot keep up), a strategy that cannot keep up at a lighter load is
recorded as such at heavier ones, not run, and a cell pass 0 shows cannot keep
up is settled with that one process. With --deeper-if-needed (make stream's
default), depth 2 is streamed only where depth 1 did not carry the load in
pass 0. Later passes stream only the cells that carry the rate or miss a share
of it. A start line estimates the run's length and a line after each process
the time left, from what its processes took.

exit status: 0 done, 1 a cell failed, 2 bad input, 130 interrupted"""


def configure(parser: argparse.ArgumentParser) -> None:
    flags.add_stream_flags(parser)
    parser.add_argument(
        "--out", type=Path, help="results file (default results/stream-<stamp>.json)"
    )
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def main(args: argparse.Namespace) -> int:
    try:
        request = flags.request_of(args)
    except flags.UsageError as error:
        print(f"interop-bench stream: {error}", file=sys.stderr)
        return 2
    except flags.NothingToStreamError as nothing:
        print(f"interop-bench stream: {nothing}", file=sys.stderr)
        return 0
    placement.configure(placement.stored(request.placement))  # for its processes and workers
    stamp = results_file.utc_stamp(datetime.now(timezone.utc))
    path = args.out or Path("results") / f"stream-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)

    def say(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    run = StreamRun(request, path, say, progress=not args.quiet)
    status = run.run()
    print(stream_table(run.document, args.format))
    if status == INTERRUPTED:
        print(f"interrupted: what was measured is in {path}", file=sys.stderr)
        return INTERRUPTED
    print(f"results: {path}")
    return 1 if any(c["status"] in ("error", "incorrect") for c in run.document["cells"]) else 0
