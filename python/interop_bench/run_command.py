"""`interop-bench run`: measure strategies x ops x sizes into a results file."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

from interop_bench import __version__, ops, strategies
from interop_bench.runner import environment, floors, plan, results, summary
from interop_bench.runner.engine import Engine, Request

HELP = "measure strategies x ops x sizes and write a results file"
DESCRIPTION = """Measure each strategy on each operation at each size: check the answer
against NumPy (a wrong one is reported, never timed), calibrate, warm up, sample
until the 95% confidence interval of the median is within +-1% (or the cell's time
budget is spent), and measure the peak extra memory of one call. The native floors
(each kernel alone, read and memcpy bandwidth) are measured in the same run.

The results file (docs/results-schema.md) is rewritten after every cell: Ctrl-C
keeps what was measured, and `run --resume FILE` measures only the missing cells.

profiles: quick (4 sizes, ~1.5 min), default (1..1e7, <= 10 min), full (to 1e8)."""

RESULTS_DIR = Path("results")
SELECTION_FLAGS = ("strategies", "ops", "sizes", "profile", "seed", "cell_budget")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategies", metavar="A,B", help="strategies to measure (default: all)")
    parser.add_argument("--ops", metavar="OP,OP", help=f"operations (default: {','.join(ops.OPS)})")
    parser.add_argument(
        "--sizes", metavar="N,N", help="element counts, e.g. 1,1e3,1e6 (default: the profile's)"
    )
    parser.add_argument(
        "--profile", choices=list(plan.PROFILES), help="how hard to try (default: default)"
    )
    parser.add_argument(
        "--seed", type=int, help="seed of the inputs and the interleaving order (default 0)"
    )
    parser.add_argument(
        "--cell-budget",
        type=_positive_seconds,
        metavar="SECONDS",
        help="time one cell may take, instead of the profile's (0.5 s quick, 1.5 s default, "
        "5 s full): raise it to measure slow strategies at large sizes instead of skipping them",
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
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")


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
    chosen_ops = plan.pick("op", args.ops, ops.OPS)
    sizes = plan.parse_sizes(args.sizes) if args.sizes else profile.sizes
    cells = len(names) * len(chosen_ops) * len(sizes)
    return Request(
        strategies=names,
        ops=chosen_ops,  # type: ignore[arg-type]
        sizes=sizes,
        profile=_with_cell_budget(profile, args.cell_budget, cells),
        seed=args.seed if args.seed is not None else 0,
    )


def _stored_request(document: results.Document) -> Request:
    stored = document["request"]
    sizes = tuple(int(size) for size in stored["sizes"])
    cells = len(stored["strategies"]) * len(stored["ops"]) * len(sizes)
    profile = plan.PROFILES[stored["profile"]]
    return Request(
        strategies=tuple(stored["strategies"]),
        ops=tuple(stored["ops"]),
        sizes=sizes,
        profile=_with_cell_budget(profile, stored.get("cell_budget_s"), cells),
        seed=int(stored["seed"]),
    )


def _strategy_facts(names: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """What each strategy copies, as `interop-bench list` shows it (for the report)."""
    facts: dict[str, dict[str, str]] = {}
    for name in names:
        try:
            cls = strategies.strategy_class(name)
        except Exception:  # its module does not import: its cells will say why
            continue
        facts[name] = {
            "family": cls.family,
            "copies_in": cls.copies_in,
            "copies_out": cls.copies_out,
        }
    return facts


def _start(args: argparse.Namespace, say: Any) -> tuple[Request, results.Document, Path]:
    """The request, its document (new or resumed) and where it is written."""
    now = datetime.now(timezone.utc)
    if args.resume is not None:
        given = [f"--{flag}" for flag in SELECTION_FLAGS if getattr(args, flag) is not None]
        if given or args.out is not None:
            raise UsageError(
                f"--resume takes the request from the file; drop {', '.join(given) or '--out'}"
            )
        document = results.load(args.resume)
        document["complete"] = False
        document.setdefault("resumed_utc", []).append(now.isoformat(timespec="seconds"))
        return _stored_request(document), document, args.resume
    request = _new_request(args)
    path = args.out or results.default_path(RESULTS_DIR, now, environment.host())
    if path.exists():
        raise UsageError(f"{path} exists: finish it with --resume {path}, or choose another --out")
    say(f"measuring the timer and the native floors ({len(request.sizes)} sizes) ...")
    timer = environment.measure_timer()
    profile = request.profile
    floor_block = floors.measure(request.sizes, profile.floors_min_time_s, profile.roofline_bytes)
    if not floor_block["available"]:
        say(f"warning: no native floors: {floor_block['reason']}")
    env = environment.collect(profile.name, timer, floor_block, list(sys.argv))
    facts = _strategy_facts(request.strategies)
    document = results.new_document(request.as_json(), env, __version__, now, facts)
    results.write_atomic(path, document)
    return request, document, path


def main(args: argparse.Namespace) -> int:
    def say(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr)

    try:
        request, document, path = _start(args, say)
    except (UsageError, plan.PlanError, results.ResultsError, KeyError) as error:
        print(f"interop-bench run: {error}", file=sys.stderr)
        return 2
    bar = tqdm(
        total=request.cell_count,
        initial=len(document["cells"]),
        unit="cell",
        file=sys.stderr,
        disable=args.quiet,
        dynamic_ncols=True,
    )
    engine = Engine(
        request,
        document,
        path,
        on_cell=lambda cell: bar.update(1),
        on_group=lambda op, size: bar.set_postfix_str(f"{op} n={size:g}"),
    )
    try:
        engine.run()
    except KeyboardInterrupt:
        bar.close()
        print(
            f"\ninterrupted: {len(document['cells'])} of {request.cell_count} cells are in {path}; "
            f"complete them with: interop-bench run --resume {path}",
            file=sys.stderr,
        )
        return 130
    bar.close()
    if not args.quiet:
        print(summary.table(document["cells"], list(request.strategies), list(request.ops)))
    print(f"results: {path}")
    return 0
