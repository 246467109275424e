"""`interop-bench ab --baseline REF`: this checkout against another commit, on this machine, now.

Two runs measured at different times share less than they seem: the machine's
speed wanders by several percent over minutes, and `compare` of two separate
files must allow for it. `ab` builds the baseline commit beside this checkout
(runner/baseline.py) and measures both in alternating processes (baseline
pass 0, this checkout's pass 0, then this checkout first for pass 1, ...), so
that each pair of processes of one pass index ran back to back in the same
minute, on the same inputs, in the same order of turns. Each cell is then
tested on the differences of its paired processes, where the drift cancels.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import datetime, timezone
from pathlib import Path

from interop_bench import __version__, arguments, results_file, strategies
from interop_bench.analysis import compare_render
from interop_bench.analysis.compare import INSTRUCTIONS_THRESHOLD, compare
from interop_bench.analysis.load import load
from interop_bench.runner import (
    baseline,
    environment,
    floors,
    instructions,
    placed_rows,
    placement,
    plan,
    selection_flags,
    strategy_facts,
)
from interop_bench.runner.passes import (
    PassError,
    PassRunner,
    SubprocessLauncher,
    follow_each_other,
)
from interop_bench.runner.progress import Progress
from interop_bench.runner.request import Request, without_placed_rows

HELP = (
    "measure a baseline commit and this checkout in alternating processes; exit 1 on a regression"
)
DESCRIPTION = """Build the baseline commit into its own worktree and virtual environment
(build/ab/<commit>/, kept for the next time), then measure the baseline and this
checkout in alternating processes on this machine, and compare them cell by cell
on the differences of the processes that ran back to back: the way to gate CI on
a noisy shared runner. Writes baseline.json and current.json into --out-dir and
prints compare's table, with each tested cell's smallest detectable slowdown:
one larger than it would have been flagged there, which is what "no
regression" covers. --inject-slowdown slows this checkout's side only, to
measure what the gate finds on this machine (scripts/gate_power.py).

exit status: 0 no regression, 1 regression (0 with --report-only),
             2 a baseline that does not exist, does not build or cannot be measured"""

FORMATS = ("text", "markdown", "json")
DEFAULT_PROCESSES = 6  # pairs: enough for a paired t test with 5 degrees of freedom


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--baseline", required=True, metavar="REF", help="commit to compare with")
    # As `run` takes them (strategies: those both sides have); the processes are pairs,
    # and instructions are counted on both sides and gated on.
    selection_flags.add_selection(
        parser, profile="quick", processes=DEFAULT_PROCESSES, instructions=True
    )
    parser.add_argument("--threshold", type=arguments.threshold, default=0.10)
    parser.add_argument(
        "--instructions-threshold", type=arguments.threshold, default=INSTRUCTIONS_THRESHOLD
    )
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--out-dir", type=Path, help="default: results/ab-<UTC stamp>")
    baseline.add_ab_dir(parser)
    parser.add_argument(
        "--inject-slowdown",
        type=arguments.slowdown,
        action="append",
        metavar="STRATEGY:FRACTION",
        help="validation only: make every sample of STRATEGY slower by FRACTION (e.g. "
        "capi:0.25) on this checkout's side, not the baseline's, to measure what the gate "
        "finds; repeat for several strategies",
    )
    parser.add_argument("--report-only", action="store_true", help="exit 0 on a regression")
    parser.add_argument("--quiet", action="store_true", help="no progress")


def _slowed(request: Request, injected: list[tuple[str, float]] | None) -> Request:
    """This checkout's request: `request` with the injected slowdowns, each of a
    strategy it measures (plan.PlanError otherwise)."""
    slowdown = {}
    for name, fraction in injected or ():
        plan.pick("strategy", name, request.strategies)
        slowdown[name] = fraction
    return dataclasses.replace(request, slowdown=slowdown)


def _placed_rows_both_measure(
    request: Request, base: baseline.Baseline, wanted: str | None, quiet: bool
) -> Request:
    """`request` without placed rows when the baseline predates them (said, or a
    BaselineError when --placement-rows asked for them)."""
    if not request.placed:
        return request
    try:
        base.check_module(placed_rows.__name__, "placed rows")
    except baseline.BaselineError as error:
        if wanted is not None:
            raise
        if not quiet:
            print(f"interop-bench ab: {error}; measuring without them", file=sys.stderr)
        return without_placed_rows(request)
    return request


def _documents(
    request: Request, slowed: Request, base: baseline.Baseline, out_dir: Path
) -> tuple[results_file.Document, results_file.Document]:
    """Fresh documents for both sides: one machine, one environment, two commits
    (the slowdowns, if any, are this checkout's alone)."""
    now = datetime.now(timezone.utc)
    timer = environment.measure_timer()
    unmeasured = floors.unavailable("not measured by interop-bench ab")
    env = environment.collect(request.profile.name, timer, unmeasured, list(sys.argv))
    facts = strategy_facts.collect(request.strategies, request.placed, request.row_placements)
    current = results_file.new_document(slowed.as_json(), env, __version__, now, facts)
    # Its Python packages; the C++ libraries are this machine's, the same for both.
    theirs = environment.python_versions(base.versions())
    base_env = env | {
        "git": {"commit": base.commit, "dirty": False},
        "versions": env["versions"] | theirs,
    }
    old = results_file.new_document(request.as_json(), base_env, "baseline", now, facts)
    for document, name in ((old, "baseline.json"), (current, "current.json")):
        results_file.write_atomic(out_dir / name, document)
    return old, current


def main(args: argparse.Namespace) -> int:
    repository = Path.cwd()
    if args.processes < 3:
        print("interop-bench ab: --processes must be at least 3", file=sys.stderr)
        return 2
    try:
        # Before the baseline's build: a bad selection must not cost minutes.
        _slowed(selection_flags.request(args, strategies.names()), args.inject_slowdown)
        if args.instructions:
            instructions.valgrind()
        commit = baseline.resolve(repository, args.baseline)
        out_dir = (
            args.out_dir
            or Path("results") / f"ab-{results_file.utc_stamp(datetime.now(timezone.utc))}"
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        if not args.quiet:
            print(f"interop-bench ab: building baseline {commit[:12]} ...", file=sys.stderr)
        base = baseline.prepare(repository, commit, args.ab_dir, out_dir / "baseline-build.log")
        base.check_protocol()
        known = [name for name in strategies.names() if name in set(base.strategies())]
        request = _placed_rows_both_measure(
            selection_flags.request(args, known), base, args.placement_rows, args.quiet
        )
        slowed = _slowed(request, args.inject_slowdown)
        placement.check_baseline(request.placement, base.source)
    except (baseline.BaselineError, plan.PlanError, instructions.InstructionsError) as error:
        print(f"interop-bench ab: {error}", file=sys.stderr)
        return 2
    old, current = _documents(request, slowed, base, out_dir)
    sides = [
        PassRunner(request, old, out_dir / "baseline.json", SubprocessLauncher(str(base.python))),
        PassRunner(slowed, current, out_dir / "current.json", SubprocessLauncher()),
    ]
    follow_each_other(*sides)  # one skip decision per cell for both sides
    progress = Progress(request.process_count * 2, args.quiet)
    try:
        for index in range(request.process_count):
            order = sides if index % 2 == 0 else sides[::-1]  # neither side always first
            for step, side in enumerate(order):
                progress.update(index * 2 + step, request.process_count * 2, index * 2 + step)
                side.run_pass(index)
        for side in sides:
            side.finish()
    except KeyboardInterrupt:
        progress.close()
        print(f"\ninterrupted: partial files in {out_dir}", file=sys.stderr)
        return 130
    except PassError as error:
        progress.close()
        print(f"interop-bench ab: {error}", file=sys.stderr)
        return 2
    progress.close()
    if request.instructions:
        for document, name, python in (
            (old, "baseline.json", str(base.python)),
            (current, "current.json", sys.executable),
        ):
            try:
                counted = instructions.count(instructions.jobs(document), request.seed, python)
            except instructions.InstructionsError as error:
                # An older baseline may not count: compare the timings alone.
                print(
                    f"interop-bench ab: no instruction counts for {name}: {error}", file=sys.stderr
                )
                continue
            instructions.record(document, counted)
            results_file.write_atomic(out_dir / name, document)
    comparison = compare(
        load(out_dir / "baseline.json", label=f"baseline {commit[:12]}"),
        load(out_dir / "current.json", label="this checkout"),
        threshold=args.threshold,
        alpha=args.alpha,
        instructions_threshold=args.instructions_threshold,
        paired=True,
    )
    sys.stdout.write(compare_render.render(comparison, args.format))
    return 1 if comparison.regressions and not args.report_only else 0
