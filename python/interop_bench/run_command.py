"""`interop-bench run`: measure strategies x ops x sizes into a results file."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from interop_bench import __version__, arguments, results_file, strategies
from interop_bench.analysis.load import load
from interop_bench.analysis.summary import render as summary
from interop_bench.runner import (
    environment,
    floors,
    follow,
    instructions,
    link,
    noise,
    peers,
    plan,
    selection_flags,
    strategy_facts,
)
from interop_bench.runner import request as run_request
from interop_bench.runner.passes import PassError, PassRunner, SubprocessLauncher
from interop_bench.runner.progress import Progress
from interop_bench.runner.request import Request

HELP = "measure strategies x ops x dtypes x sizes and write a results file"
DESCRIPTION = """Measure each strategy on each operation at each size: check the answer
against NumPy (a wrong one is reported, never timed), calibrate, warm up, sample,
and measure the peak extra memory of one call.

A run is several passes, each a new process that measures every cell (a fresh
heap, page layout and huge-page draw; its own shuffled order), one after the
other: a cell's 95% interval comes from the spread between its processes, so
that it holds what changes between runs. The kernel alone and the read / memcpy
bandwidth probes are turns of the same rounds ("x kernel" is a ratio of medians
taken in the same processes); Google Benchmark measures them once more at the
start, as an independent cross-check.

The results file (docs/results-schema.md) is rewritten after every pass and each
pass's cells are on disk as they end: Ctrl-C keeps what was measured, and
`run --resume FILE` measures only what is missing.

A cell is skipped when its minimum calls would not fit the cell budget; near the
budget, two runs of one commit can decide a cell differently. `run --follow FILE`
takes FILE's decisions instead (FILE: a run of the same profile and selection):
it measures what FILE measured and skips what FILE skipped, naming FILE in the
reason, so that `compare` of the two files tests the same cells.

Network strategies (family "network" in `interop-bench list`) start their own peer on
127.0.0.1 unless --peer names one that already runs, maybe on another host (started
there with `interop-bench peer [--strategy NAME] --listen HOST:PORT --allow-remote
--secret-file FILE`):
  --peer HOST:PORT                   every network strategy's peer
  --peer tcp=HOST:PORT [--peer grpc=HOST:PORT ...]   one peer per strategy
with --peer-secret-file FILE, the secret the peer was started with (the peer serves
only clients that prove they hold it). The file records the peers and the link
(--link TEXT; scripts/netns_link.py records its shaping and delay itself).

The vector ops (sum, square, matrix_sum, scale) run in every dtype of --dtypes
(float64, float32, int32, int16, uint8) at every element count of --sizes; a
cell of another dtype than float64 is named op:dtype (sum:uint8). `frame` (an
RGB image to gray) runs at every resolution of --sizes (vga 640x480, 720p,
1080p, 4k 3840x2160, 8k); its size is its image's bytes. E.g.
  --ops sum,frame --dtypes float64,uint8 --sizes 1,1e6,720p,4k
A strategy that refuses a dtype or frames (one added from outside the package may)
records those cells as errors.

profiles: quick (4 sizes, frame at vga, 5 processes, ~1.5 min), default (1..1e7,
frame at 720p/1080p/4k, 5 processes, ~8 min), full (to 1e8, every dtype,
frame at vga..8k, 10 processes)."""

RESULTS_DIR = Path("results")


def configure(parser: argparse.ArgumentParser) -> None:
    selection_flags.add_selection(parser)
    parser.add_argument(
        "--inject-slowdown",
        type=arguments.slowdown,
        metavar="STRATEGY:FRACTION",
        help="validation only: make every sample of STRATEGY slower by FRACTION (e.g. "
        "capi:0.25) with a busy wait, to check that `compare` finds it; recorded in the file",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="results file (default: results/<UTC stamp>-<host>.json)",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="FILE",
        help="measure the cells missing from FILE (same request)",
    )
    parser.add_argument(
        "--peer",
        action="append",
        metavar="[STRATEGY=]HOST:PORT",
        help="measure the network strategies (or STRATEGY) against the peer already running at "
        "HOST:PORT instead of their own on loopback; repeat for one peer per strategy",
    )
    parser.add_argument(
        "--peer-secret-file",
        type=Path,
        metavar="FILE",
        help="the shared secret of the --peer peers (mode 600, 16+ bytes, e.g. from "
        "`openssl rand -hex 32`); it never crosses the network",
    )
    parser.add_argument(
        "--link",
        metavar="TEXT",
        help="what lies between this machine and the peers (e.g. '10GbE, one switch'), "
        "recorded in the results file and shown by the report",
    )
    parser.add_argument(
        "--follow",
        type=Path,
        metavar="FILE",
        help="take the skip rule's decisions of FILE, a run of the same profile and selection: "
        "measure the cells FILE measured, skip those it skipped (so that `compare` of the two "
        "tests the same cells); cells FILE lacks are decided as usual",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress and no summary table")


class UsageError(ValueError):
    """Bad command-line input: exit status 2 with the message."""


def _stored_request(document: results_file.Document) -> Request:
    if document.get("schema_version") != results_file.SCHEMA_VERSION:
        raise UsageError(
            f"--resume needs a file of schema_version {results_file.SCHEMA_VERSION} (this one is "
            f"{document.get('schema_version')!r}): start a new run"
        )
    return run_request.stored(document["request"])


Started = tuple[Request, results_file.Document, Path, follow.Leader | None]


def _leader(args: argparse.Namespace, request: Request) -> follow.Leader | None:
    return None if args.follow is None else follow.load(str(args.follow), request)


def _start(args: argparse.Namespace, say: Any) -> Started:
    """The request, its document (new or resumed), where it is written, the run it follows."""
    now = datetime.now(timezone.utc)
    if args.resume is not None:
        flags = (*selection_flags.SELECTION, "inject_slowdown")
        given = [f"--{flag.replace('_', '-')}" for flag in flags if getattr(args, flag) is not None]
        if given or args.out is not None:
            raise UsageError(
                f"--resume takes the request from the file; drop {', '.join(given) or '--out'}"
            )
        document = results_file.load(args.resume)
        request = _stored_request(document)
        leader = _leader(args, request)
        peers.check_resumed(document)
        document["complete"] = False
        document.setdefault("resumed_utc", []).append(now.isoformat(timespec="seconds"))
        return request, document, args.resume, leader
    request = selection_flags.request(args, strategies.names(), args.inject_slowdown)
    leader = _leader(args, request)
    if request.instructions:
        instructions.valgrind()  # before anything is measured: a clear error, no half file
    path = args.out or results_file.default_path(RESULTS_DIR, now, environment.host())
    if path.exists():
        raise UsageError(f"{path} exists: finish it with --resume {path}, or choose another --out")
    say(f"measuring the timer and the Google Benchmark floors ({len(request.sizes)} sizes) ...")
    # The cross-check measures float64's kernels at the element counts (no dtypes, no frames).
    timer = environment.measure_timer()
    profile = request.profile
    if request.sizes:
        floor_block = floors.measure(
            request.sizes, profile.floors_min_time_s, profile.roofline_bytes
        )
    else:
        floor_block = floors.unavailable("no element counts in this run (frames only)")
    if not floor_block["available"]:
        say(f"warning: no Google Benchmark floors: {floor_block['reason']}")
    env = environment.collect(profile.name, timer, floor_block, list(sys.argv))
    env["link"] = link.describe(args.link)
    facts = strategy_facts.collect(request.strategies, request.placed, request.row_placements)
    document = results_file.new_document(request.as_json(), env, __version__, now, facts)
    results_file.write_atomic(path, document)
    return request, document, path, leader


def _count_instructions(
    request: Request, document: results_file.Document, path: Path, say: Any
) -> int:
    """Count the small cells' instructions per call; 0, or 1 when counting failed."""
    keys = instructions.jobs(document)
    say(f"counting the instructions of {len(keys)} cells under Valgrind ...")
    try:
        counts = instructions.count(keys, request.seed)
    except (instructions.InstructionsError, subprocess.TimeoutExpired) as error:
        print(f"interop-bench run: {error}; the timings are in {path}", file=sys.stderr)
        return 1
    instructions.record(document, counts)
    results_file.write_atomic(path, document)
    return 0


def main(args: argparse.Namespace) -> int:
    def say(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr)

    try:
        peers.configure(args.peer, args.peer_secret_file)
        request, document, path, leader = _start(args, say)
    except (
        UsageError,
        follow.FollowError,
        peers.PeerError,
        plan.PlanError,
        results_file.ResultsError,
        instructions.InstructionsError,
        KeyError,
    ) as error:
        print(f"interop-bench run: {error}", file=sys.stderr)
        return 2
    say(
        f"measuring {request.cell_count} cells in {request.process_count} processes "
        f"(profile {request.profile.name}) into {path}"
    )
    if leader is not None:
        document["follows"] = leader.name  # written with the first pass
        say(f"taking the skip rule's decisions of {leader.name}")
    progress = Progress(request.process_count, args.quiet)
    runner = PassRunner(
        request,
        document,
        path,
        SubprocessLauncher(),
        on_progress=progress.update,
        follow=leader,
    )
    try:
        runner.run()
    except KeyboardInterrupt:
        progress.close()
        print(
            f"\ninterrupted: what was measured is in {path}; "
            f"complete it with: interop-bench run --resume {path}",
            file=sys.stderr,
        )
        return 130
    except PassError as error:
        progress.close()
        print(f"interop-bench run: {error}; what was measured is in {path}", file=sys.stderr)
        return 1
    progress.close()
    document["environment"]["noise"]["end"] = noise.snapshot()
    results_file.write_atomic(path, document)
    if request.instructions:
        status = _count_instructions(request, document, path, say)
        if status:
            return status
    if not args.quiet:
        print(summary(load(path), "text"))
    print(f"results: {path}")
    return 0
