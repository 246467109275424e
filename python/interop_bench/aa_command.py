"""`interop-bench aa`: are this machine's numbers trustworthy? Two runs of one commit.

Each pair is two runs of the same request, back to back; the second takes the
first's skip decisions (`run --follow`), so both measure the same cells and the
pair compares every one. For each pair: the
calibration figure (the share of cells whose second-run median lies in the
first run's 95% interval) and compare's verdict, which must be "no
regression". With --inject-slowdown the second run of every pair has one
strategy slowed by a known fraction, and compare must find it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from interop_bench import results_file, strategies, verify
from interop_bench.analysis.calibration import Coverage, coverage
from interop_bench.analysis.compare import Comparison, compare
from interop_bench.analysis.load import ResultsFileError, load
from interop_bench.runner import plan, selection_flags

HELP = "A/A check: run one commit twice, report how well the intervals hold and compare's verdict"
DESCRIPTION = """Run the same request twice (a pair), then report how many cells' second-run
medians lie inside the first run's 95% interval (about 83% is what correct
intervals give), how many cells were measured in one run only (0: the second
run takes the first's skip decisions, `run --follow`) and what `compare` says of
the two files (it must find no regression). --pairs repeats that;
--inject-slowdown STRATEGY:FRACTION slows one strategy in the second run of
each pair, and compare must flag it. Each pair's first file is then checked
by `verify` (its small cells timed again by timeit, which shares no code with
the runner): every checked cell must agree.

exit status: 0 every A/A pair clean, every checked cell verified (and every
             injected slowdown found), 1 otherwise, 2 bad input or a run that failed"""

# compare's defaults: what a user gating CI would use.
THRESHOLD = 0.10
ALPHA = 0.01


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pairs", type=int, default=1, help="pairs of runs (default 1)")
    selection_flags.add_selection(parser, profile="quick")  # each run's, as `run` takes them
    parser.add_argument(
        "--inject-slowdown",
        metavar="STRATEGY:FRACTION",
        help="slow STRATEGY by FRACTION in the second run of each pair (e.g. capi:0.25)",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        help="where the runs' files go (default: results/aa-<UTC stamp>)",
    )


def _run(args: argparse.Namespace, out: Path, inject: bool, leader: Path | None) -> int:
    command = [sys.executable, "-m", "interop_bench", "run", *selection_flags.run_flags(args)]
    if inject:
        command += ["--inject-slowdown", args.inject_slowdown]
    if leader is not None:
        command += ["--follow", str(leader)]
    command += ["--quiet", "--out", str(out)]
    return subprocess.run(command, check=False).returncode


def _line(index: int, found: Coverage, comparison: Comparison, injected: str | None) -> str:
    regressions = comparison.regressions
    text = (
        f"pair {index + 1}: {found.inside} of {found.cells} cells ({found.share:.0%}) inside the "
        f"first run's interval; {len(comparison.measured_in_one)} cell(s) measured in one run "
        f"only; compare: {len(regressions)} regression(s)"
    )
    if injected:
        name = injected.rpartition(":")[0]
        flagged = sum(c.strategy == name for c in regressions)
        others = len(regressions) - flagged
        text += f" ({flagged} of {name}, {others} of other strategies)"
    return text


def main(args: argparse.Namespace) -> int:
    if args.pairs < 1:
        print("interop-bench aa: --pairs must be at least 1", file=sys.stderr)
        return 2
    try:
        selection_flags.request(args, strategies.names())  # checked before any run
    except plan.PlanError as error:
        print(f"interop-bench aa: {error}", file=sys.stderr)
        return 2
    stamp = results_file.utc_stamp(datetime.now(timezone.utc))
    out_dir = args.out_dir or Path("results") / f"aa-{stamp}"
    out_dir.mkdir(parents=True, exist_ok=True)
    clean, found_all, verified_all, shares = True, True, True, []
    for index in range(args.pairs):
        first, second = out_dir / f"pair{index + 1}-a.json", out_dir / f"pair{index + 1}-b.json"
        runs = ((first, False, None), (second, bool(args.inject_slowdown), first))
        for path, inject, leader in runs:
            status = _run(args, path, inject, leader)
            if status != 0:
                print(f"interop-bench aa: the run into {path} failed ({status})", file=sys.stderr)
                return 2
        try:
            old, new = load(first), load(second)
        except ResultsFileError as error:
            print(f"interop-bench aa: {error}", file=sys.stderr)
            return 2
        found = coverage(old, new)
        comparison = compare(old, new, threshold=THRESHOLD, alpha=ALPHA)
        shares.append(found.share)
        print(_line(index, found, comparison, args.inject_slowdown), flush=True)
        for size in found.by_size:
            print(
                f"  {size.size:>10,} elements: {size.inside}/{size.cells} inside, medians moved "
                f"{size.median_move:.1%} (median) {size.max_move:.1%} (max), intervals "
                f"±{size.median_half_width:.1%}"
            )
        print(f"pair {index + 1}: verify {first}", flush=True)
        verified_all &= verify.report(old, verify.Options(), lambda _: None) == 0
        if args.inject_slowdown:
            name = args.inject_slowdown.rpartition(":")[0]
            found_all &= any(c.strategy == name for c in comparison.regressions)
            clean &= all(c.strategy == name for c in comparison.regressions)
        else:
            clean &= not comparison.regressions
    print(
        f"over {args.pairs} pair(s): {sum(shares) / len(shares):.0%} of cells inside on average; "
        + ("no false regression" if clean else "FALSE REGRESSIONS")
        + ("; verify agreed" if verified_all else "; VERIFY DISAGREED")
        + (
            (
                "; the injected slowdown was found in every pair"
                if found_all
                else "; the injected slowdown was MISSED"
            )
            if args.inject_slowdown
            else ""
        )
        + f"; files in {out_dir}"
    )
    return 0 if clean and found_all and verified_all else 1
