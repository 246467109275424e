"""The `ab` gate's power on this machine: how often it finds a known slowdown,
and how often it cries wolf when nothing changed.

    .venv/bin/python scripts/gate_power.py [--repeats 10] [--out DIR] [--baseline HEAD]
        [--strategies capi,pipe] [--op sum] [--sizes 1,1e6] [--slowdowns 0.05,0.1,0.25]

runs `interop-bench ab --baseline REF` on a small matrix (an in-process and a
cross-process strategy, one small and one large cell) R times with nothing
injected (A/A) and R times with each slowdown injected into this checkout's
side of every strategy (`ab --inject-slowdown`). The conditions take turns
within each repeat, so the machine's drift over the experiment reaches all of
them alike. The baseline is resolved to one commit at the start and built once
into build/ab/<commit>/ by the first run.

It writes DIR/gate-power.json (every run's cells and the table) and
DIR/gate-power.md (the table) after every run, so Ctrl-C keeps what finished.
Per cell: for each slowdown, the runs that flagged the cell as a regression
(and those that found it significantly slower, under the threshold or not);
the A/A runs that flagged it (false alarms); and the median of `ab`'s smallest
detectable slowdown over the A/A runs. Instruction counts are not made: the
injected busy wait adds instructions, which would find the slowdown for them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

Key = tuple[str, str, int]  # strategy, op, elements
# An ab command line -> (exit status, standard output).
Runner = Callable[[list[str]], tuple[int, str]]


@dataclass(frozen=True)
class Found:
    slowdown: float
    runs: int  # runs of this slowdown that finished
    flagged: int  # the cell was a regression
    slower: int  # the cell was significantly slower (over the threshold or not)


@dataclass(frozen=True)
class CellPower:
    strategy: str
    op: str
    size: int
    aa_runs: int
    false_alarms: int
    found: tuple[Found, ...]
    median_detectable: float | None  # over the A/A runs that tested the cell


def ab_command(args: argparse.Namespace, commit: str, slowdown: float, out_dir: Path) -> list[str]:
    """The ab command line of one run (slowdown 0: A/A)."""
    command = [
        sys.executable, "-m", "interop_bench", "ab", "--baseline", commit,
        "--strategies", args.strategies, "--ops", args.op, "--sizes", args.sizes,
        "--processes", str(args.processes), "--threshold", str(args.threshold),
        "--no-instructions", "--format", "json", "--report-only", "--quiet",
        "--out-dir", str(out_dir),
    ]  # fmt: skip
    if args.cell_budget is not None:
        command += ["--cell-budget", str(args.cell_budget)]
    for name in args.strategies.split(",") if slowdown else ():
        command += ["--inject-slowdown", f"{name}:{slowdown:g}"]
    return command


def outcome(status: int, output: str) -> dict[str, Any]:
    """What one run found, cell by cell, from ab's JSON (or why it failed)."""
    if status not in (0, 1):
        return {"status": status, "cells": []}
    document = json.loads(output)
    cells = [
        {key: cell[key] for key in ("strategy", "op", "size", "ratio", "verdict", "detectable")}
        | {"regression": bool(cell["regression"])}
        for cell in document["cells"]
        if not cell["floor"]
    ]
    return {"status": status, "cells": cells}


def power_table(runs: Sequence[dict[str, Any]], slowdowns: Sequence[float]) -> list[CellPower]:
    """Per cell, from the finished runs: found per slowdown, false alarms, detectable.
    A run that did not test a cell (skipped, too few processes) did not find it."""
    finished = [run for run in runs if run["status"] in (0, 1)]
    runs_of = {s: sum(run["slowdown"] == s for run in finished) for s in (0.0, *slowdowns)}
    seen: dict[Key, dict[float, list[dict[str, Any]]]] = {}
    for run in finished:
        for cell in run["cells"]:
            key = (cell["strategy"], cell["op"], int(cell["size"]))
            seen.setdefault(key, {}).setdefault(run["slowdown"], []).append(cell)
    return [_cell_power(key, seen[key], runs_of, slowdowns) for key in sorted(seen)]


def _cell_power(
    key: Key,
    by_slowdown: dict[float, list[dict[str, Any]]],
    runs_of: dict[float, int],
    slowdowns: Sequence[float],
) -> CellPower:
    def flagged(slowdown: float) -> int:
        return sum(cell["regression"] for cell in by_slowdown.get(slowdown, []))

    def slower(slowdown: float) -> int:
        return sum(cell["verdict"] == "slower" for cell in by_slowdown.get(slowdown, []))

    aa = by_slowdown.get(0.0, [])
    detectable = [c["detectable"] for c in aa if c["detectable"] is not None]
    return CellPower(
        *key,
        aa_runs=runs_of[0.0],
        false_alarms=flagged(0.0),
        found=tuple(Found(s, runs_of[s], flagged(s), slower(s)) for s in slowdowns),
        median_detectable=statistics.median(detectable) if detectable else None,
    )


def markdown(rows: Sequence[CellPower], slowdowns: Sequence[float], threshold: float) -> str:
    """The power table: flagged/runs per slowdown, false alarms/A/A runs."""
    head = ["strategy", "op", "elements", "A/A false alarms"]
    head += [f"{s:.0%} slower: found" for s in slowdowns] + ["detectable (median, A/A)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        found = [f"{f.flagged}/{f.runs} ({f.slower})" for f in row.found]
        detectable = "" if row.median_detectable is None else f"{row.median_detectable:.0%}"
        cells = [row.strategy, row.op, f"{row.size:,}", f"{row.false_alarms}/{row.aa_runs}"]
        lines.append("| " + " | ".join([*cells, *found, detectable]) + " |")
    legend = (
        f"\nfound: runs that flagged the cell as a regression (slower by more than "
        f"{threshold:.0%}, significant) / runs; in parentheses, runs that found it "
        "significantly slower at all. detectable: ab's smallest slowdown it would have "
        "flagged for certain, median over the A/A runs.\n"
    )
    return "\n".join(lines) + "\n" + legend


def write(out: Path, document: dict[str, Any], slowdowns: Sequence[float]) -> None:
    """The JSON and the Markdown table, each replaced whole (a Ctrl-C mid-write
    leaves the previous one)."""
    rows = power_table(document["runs"], slowdowns)
    document["table"] = [asdict(row) for row in rows]
    table = markdown(rows, slowdowns, document["conditions"]["threshold"])
    for name, text in (
        ("gate-power.json", json.dumps(document, indent=2)),
        ("gate-power.md", table),
    ):
        partial = out / f".{name}.partial"
        partial.write_text(text + "\n")
        os.replace(partial, out / name)


def experiment(
    args: argparse.Namespace, commit: str, runner: Runner, say: Callable[[str], None]
) -> dict[str, Any]:
    """Every run, the conditions taking turns; the files rewritten after each."""
    conditions = [0.0, *args.slowdowns]
    document: dict[str, Any] = {
        "baseline": commit,
        "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "conditions": {
            key: getattr(args, key)
            for key in ("strategies", "op", "sizes", "processes", "cell_budget", "threshold")
        }
        | {"repeats": args.repeats, "slowdowns": list(args.slowdowns)},
        "runs": [],
    }
    for repeat in range(args.repeats):
        for slowdown in conditions:
            index = len(document["runs"])
            run_dir = args.out / "runs" / f"{index:03d}-{slowdown:g}"
            status, output = runner(ab_command(args, commit, slowdown, run_dir))
            found = outcome(status, output)
            document["runs"].append({"repeat": repeat, "slowdown": slowdown} | found)
            write(args.out, document, args.slowdowns)
            flagged = [f"{c['strategy']}@{c['size']}" for c in found["cells"] if c["regression"]]
            say(f"run {index + 1}/{args.repeats * len(conditions)} slowdown {slowdown:.0%}: "
                f"exit {status}, flagged {', '.join(flagged) or 'nothing'}")  # fmt: skip
    return document


def run_ab(command: list[str]) -> tuple[int, str]:
    """One real ab run; its progress and errors go to this script's stderr."""
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    return done.returncode, done.stdout


def resolve(ref: str) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"gate_power.py: {ref!r} is not a commit: {done.stderr.strip()}")
    return done.stdout.strip()


def fractions(text: str) -> list[float]:
    values = [float(part) for part in text.split(",")]
    if not values or not all(0 < value <= 10 for value in values):
        raise argparse.ArgumentTypeError(f"slowdowns are fractions in (0, 10]: {text!r}")
    return values


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    parser.add_argument("--repeats", type=int, default=10, help="runs per condition (10)")
    parser.add_argument("--out", type=Path, default=Path("results") / f"gate-power-{stamp}")
    parser.add_argument("--baseline", default="HEAD", help="commit to compare with (HEAD)")
    parser.add_argument("--strategies", default="capi,pipe", help="in-process,cross-process")
    parser.add_argument("--op", default="sum")
    parser.add_argument("--sizes", default="1,1e6", help="a small and a large cell")
    parser.add_argument("--slowdowns", type=fractions, default=[0.05, 0.10, 0.25])
    parser.add_argument("--processes", type=int, default=6, help="pairs per run (ab's 6)")
    parser.add_argument("--cell-budget", type=float, help="seconds per cell (profile quick's)")
    parser.add_argument("--threshold", type=float, default=0.10, help="ab's threshold (0.10)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: Sequence[str] | None = None, runner: Runner = run_ab) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    commit = resolve(args.baseline)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        experiment(args, commit, runner, lambda line: print(line, file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        print(f"\ninterrupted: the finished runs are in {args.out}", file=sys.stderr)
        return 130
    print((args.out / "gate-power.md").read_text(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
