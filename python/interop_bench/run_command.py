"""`interop-bench run`: measure strategies x ops x sizes into a results file."""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from interop_bench import __version__, ops, results_file, strategies, summary_command
from interop_bench.analysis.load import load
from interop_bench.runner import (
    environment,
    floor_turns,
    floors,
    instructions,
    link,
    noise,
    plan,
    startup,
)
from interop_bench.runner.passes import PassError, PassRunner, SubprocessLauncher
from interop_bench.runner.progress import Progress
from interop_bench.runner.request import Request
from interop_bench.strategies._transport import net_peer

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

Network strategies (family "network": tcp, grpc, grpc-stream) start their own peer on
127.0.0.1 unless --peer names one that already runs, maybe on another host (started
there with `interop-bench peer [--grpc] --listen HOST:PORT --allow-remote --secret-file FILE`):
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
A strategy that does not carry a dtype or frames records those cells as errors.

profiles: quick (4 sizes, frame at vga, 5 processes, ~1.5 min), default (1..1e7,
frame at 720p/1080p/4k, 5 processes, ~8 min), full (to 1e8, every dtype,
frame at vga..8k, 10 processes)."""

RESULTS_DIR = Path("results")
SELECTION_FLAGS = (
    "strategies",
    "ops",
    "dtypes",
    "sizes",
    "profile",
    "seed",
    "cell_budget",
    "processes",
    "inject_slowdown",
    "instructions",
)


def add_selection(parser: argparse.ArgumentParser) -> None:
    """--ops, --dtypes and --sizes (run, ab and aa take them alike; plan.select reads them)."""
    parser.add_argument(
        "--ops",
        metavar="OP,OP",
        help=f"operations: {', '.join(ops.OPS)} (default: every op that has a size of its kind)",
    )
    parser.add_argument(
        "--dtypes",
        metavar="T,T",
        help=f"element types of the vector ops: {', '.join(ops.DTYPES)} (default: the profile's, "
        "float64; every one in full)",
    )
    parser.add_argument(
        "--sizes",
        metavar="N,N",
        help="element counts of the vector ops (1,1e3,1e6) and frame resolutions "
        f"({', '.join(ops.RESOLUTIONS)}), mixed freely (default: the profile's)",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategies", metavar="A,B", help="strategies to measure (default: all)")
    add_selection(parser)
    parser.add_argument(
        "--profile", choices=list(plan.PROFILES), help="how hard to try (default: default)"
    )
    parser.add_argument(
        "--processes",
        type=_processes,
        metavar="N",
        help="measuring processes (passes) per cell (default: the profile's, 5 or 10); fewer "
        "than 3 gives intervals that do not hold across runs",
    )
    parser.add_argument(
        "--seed", type=int, help="seed of the inputs and the interleaving order (default 0)"
    )
    parser.add_argument(
        "--cell-budget",
        type=_positive_seconds,
        metavar="SECONDS",
        help="time one cell may take over all its processes, instead of the profile's (0.5 s "
        "quick, 1.5 s default, 5 s full): raise it to measure slow strategies at large sizes "
        "instead of skipping them",
    )
    parser.add_argument(
        "--inject-slowdown",
        type=_slowdown,
        metavar="STRATEGY:FRACTION",
        help="validation only: make every sample of STRATEGY slower by FRACTION (e.g. "
        "capi:0.25) with a busy wait, to check that `compare` finds it; recorded in the file",
    )
    parser.add_argument(
        "--instructions",
        action=argparse.BooleanOptionalAction,
        help="count instructions per call at 1 and 1,000 elements under Valgrind "
        "(deterministic: what `compare` and `ab` can gate on where wall time is noisy; "
        "default: on, off in the quick profile)",
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
    parser.add_argument("--quiet", action="store_true", help="no progress and no summary table")


class UsageError(ValueError):
    """Bad command-line input: exit status 2 with the message."""


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return seconds


def _processes(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of processes: {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"needs at least 1 process, got {count}")
    return count


def _slowdown(text: str) -> tuple[str, float]:
    name, _, fraction = text.rpartition(":")
    try:
        value = float(fraction)
    except ValueError:
        value = -1.0
    if not name or not 0 < value <= 10:
        raise argparse.ArgumentTypeError(
            f"expected STRATEGY:FRACTION with a fraction in (0, 10], e.g. capi:0.25; got {text!r}"
        )
    return name, value


def _with_cell_budget(
    profile: plan.Profile, cell_budget_s: float | None, cells: int
) -> plan.Profile:
    """`profile` whose cells may each take `cell_budget_s`; the run's budget grows
    so that its equal share per cell does not cut the cells back."""
    if cell_budget_s is None or cell_budget_s == profile.cell_budget_s:
        return profile
    run_budget_s = max(profile.run_budget_s, cell_budget_s * cells)
    return dataclasses.replace(profile, cell_budget_s=cell_budget_s, run_budget_s=run_budget_s)


def _new_request(args: argparse.Namespace) -> Request:
    profile = plan.PROFILES[args.profile or "default"]
    names = plan.pick("strategy", args.strategies, strategies.names())
    selection = plan.select(profile.name, args.ops, args.dtypes, args.sizes)
    slowdown = {}
    if args.inject_slowdown is not None:
        slowed, fraction = args.inject_slowdown
        plan.pick("strategy", slowed, names)  # the slowed strategy must be measured
        slowdown[slowed] = fraction
    request = Request(
        strategies=names,
        ops=selection.ops,
        sizes=selection.sizes,
        dtypes=selection.dtypes,
        resolutions=selection.resolutions,
        profile=profile,
        seed=args.seed if args.seed is not None else 0,
        processes=args.processes or 0,
        slowdown=slowdown,
        instructions=profile.instructions if args.instructions is None else args.instructions,
    )
    cells = len(names) * len(request.groups())
    return dataclasses.replace(request, profile=_with_cell_budget(profile, args.cell_budget, cells))


def _stored_request(document: results_file.Document) -> Request:
    if document.get("schema_version") != results_file.SCHEMA_VERSION:
        raise UsageError(
            f"--resume needs a file of schema_version {results_file.SCHEMA_VERSION} (this one is "
            f"{document.get('schema_version')!r}): start a new run"
        )
    stored = document["request"]
    profile = plan.PROFILES[stored["profile"]]
    request = Request(
        strategies=tuple(stored["strategies"]),
        ops=tuple(stored["ops"]),
        sizes=tuple(int(size) for size in stored["sizes"]),
        # A file written before the dtype axis measured float64 and no frames.
        dtypes=tuple(stored.get("dtypes", (ops.DEFAULT_DTYPE,))),
        resolutions=tuple(stored.get("resolutions", ())),
        profile=profile,
        seed=int(stored["seed"]),
        processes=int(stored["processes"]),
        floors=bool(stored["floors"]),
        slowdown={str(k): float(v) for k, v in stored["inject_slowdown"].items()},
        instructions=bool(stored.get("instructions", False)),
    )
    cells = len(request.strategies) * len(request.groups())
    return dataclasses.replace(
        request, profile=_with_cell_budget(profile, stored.get("cell_budget_s"), cells)
    )


def strategy_facts(names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """What each strategy copies, as `interop-bench list` shows it, the files behind
    its call (for the report), and the start-up of those whose first calls compile
    code (runner/startup.py: one cold start each, in a fresh process)."""
    facts: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            cls = strategies.strategy_class(name)
        except Exception:  # its module does not import: its cells will say why
            continue
        facts[name] = {
            "family": cls.family,
            "copies_in": cls.copies_in,
            "copies_out": cls.copies_out,
            "sources": strategies.source_files(cls),
            "packages": list(cls.packages),
        }
        if cls.backend:
            facts[name]["backend"] = cls.backend
        if cls.measures_startup:
            facts[name]["startup"] = startup.measure(name)
    return facts | floor_turns.FACTS


def _configure_peers(args: argparse.Namespace) -> None:
    """Check --peer and --peer-secret-file and hand them to the passes (and the
    strategies) through the environment; UsageError naming what is wrong."""
    if not args.peer:
        if args.peer_secret_file is not None:
            raise UsageError("--peer-secret-file is the secret of a --peer: give the peer too")
        return
    for entry in args.peer:
        try:
            named = net_peer.parse_peers(entry)
        except ValueError as error:
            raise UsageError(f"--peer {entry}: {error}") from None
        for name in filter(None, named):
            family = strategies.strategy_class(name).family
            if family != "network":
                raise UsageError(
                    f"--peer {entry}: {name} is not a network strategy (family {family})"
                )
    if args.peer_secret_file is None:
        raise UsageError(
            "--peer needs --peer-secret-file FILE: a peer serves only clients that hold its secret"
        )
    try:
        net_peer.read_secret(args.peer_secret_file)
    except ValueError as error:
        raise UsageError(f"--peer-secret-file: {error}") from None
    os.environ[net_peer.PEERS_VARIABLE] = ",".join(args.peer)
    os.environ[net_peer.SECRET_VARIABLE] = str(args.peer_secret_file.resolve())


def _check_resumed_peers(document: results_file.Document) -> None:
    """A resumed run measures against the peers its file was measured against."""
    stored = (document["environment"].get("link") or {}).get("peers") or {}
    given = link.describe()["peers"]
    if stored != given:
        wanted = " ".join(
            f"--peer {k}={v}" if k != "*" else f"--peer {v}" for k, v in stored.items()
        )
        raise UsageError(
            f"this file was measured against the peers {stored or 'on loopback'}, not {given}: "
            f"resume it with {wanted or 'no --peer'}"
        )


def _start(args: argparse.Namespace, say: Any) -> tuple[Request, results_file.Document, Path]:
    """The request, its document (new or resumed) and where it is written."""
    now = datetime.now(timezone.utc)
    if args.resume is not None:
        given = [f"--{flag}" for flag in SELECTION_FLAGS if getattr(args, flag) is not None]
        if given or args.out is not None:
            raise UsageError(
                f"--resume takes the request from the file; drop {', '.join(given) or '--out'}"
            )
        document = results_file.load(args.resume)
        request = _stored_request(document)
        _check_resumed_peers(document)
        document["complete"] = False
        document.setdefault("resumed_utc", []).append(now.isoformat(timespec="seconds"))
        return request, document, args.resume
    request = _new_request(args)
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
    facts = strategy_facts(request.strategies)
    document = results_file.new_document(request.as_json(), env, __version__, now, facts)
    results_file.write_atomic(path, document)
    return request, document, path


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
        _configure_peers(args)
        request, document, path = _start(args, say)
    except (
        UsageError,
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
    progress = Progress(request.process_count, args.quiet)
    runner = PassRunner(request, document, path, SubprocessLauncher(), on_progress=progress.update)
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
        print(summary_command.render(load(path), "text"))
    print(f"results: {path}")
    return 0
