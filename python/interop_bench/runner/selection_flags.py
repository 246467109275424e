"""The selection flags of a run, as `run` takes them, and the one way a command
builds a run's Request from them (runner.request.new): `run`, `aa` (which
hands them to its runs as `run` flags) and `ab` take the same flags alike."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from interop_bench import ops
from interop_bench.arguments import positive_seconds, process_count
from interop_bench.runner import placement, plan
from interop_bench.runner import request as run_request
from interop_bench.runner.request import Request

# The selection flags' destinations, in the order `run` takes them.
SELECTION = (
    "strategies",
    "ops",
    "dtypes",
    "sizes",
    "profile",
    "processes",
    "seed",
    "cell_budget",
    "instructions",
    "placement",
    "placement_rows",
)


def add_selection(
    parser: argparse.ArgumentParser,
    *,
    profile: str | None = None,
    processes: int | None = None,
    instructions: bool | None = None,
) -> None:
    """What a run measures, as `run` takes it; a command's own defaults where it
    has them (None: the profile's, and the flag reads None when not given)."""
    parser.add_argument("--strategies", metavar="A,B", help="strategies to measure (default: all)")
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
    parser.add_argument(
        "--profile",
        choices=list(plan.PROFILES),
        default=profile,
        help=f"how hard to try (default: {profile or 'default'})",
    )
    processes_default = processes or "the profile's, 5 or 10"
    parser.add_argument(
        "--processes",
        type=process_count,
        default=processes,
        metavar="N",
        help=f"measuring processes (passes) per cell (default: {processes_default}); fewer "
        "than 3 gives intervals that do not hold across runs",
    )
    parser.add_argument(
        "--seed", type=int, help="seed of the inputs and the interleaving order (default 0)"
    )
    parser.add_argument(
        "--cell-budget",
        type=positive_seconds,
        metavar="SECONDS",
        help="time one cell may take over all its processes, instead of the profile's (0.5 s "
        "quick, 1.5 s default, 5 s full): raise it to measure slow strategies at large sizes "
        "instead of skipping them",
    )
    parser.add_argument(
        "--instructions",
        action=argparse.BooleanOptionalAction,
        default=instructions,
        help="count instructions per call at 1 and 1,000 elements under Valgrind "
        "(deterministic: what `compare` and `ab` can gate on where wall time is noisy; "
        f"default: {'on' if instructions else 'on, off in the quick profile'})",
    )
    add_placement(parser)
    parser.add_argument(
        "--placement-rows",
        metavar="A,B|none",
        help="in an unpinned run, measure each cross-process strategy (ipc, network) again "
        "pinned in these placements, as rows of their own (pipe@same-core, pipe@other-core) at "
        f"the profile's placed sizes of sum; default: {_rows_default()}; none: no such rows",
    )


def _rows_default() -> str:
    parts = [
        f"{','.join(axes.placement_rows)} at {_and([f'{size:,}' for size in axes.placed_sizes])} "
        f"elements in the {name} profile"
        for name, axes in plan.AXES.items()
        if axes.placement_rows
    ]
    return "; ".join(parts) + "; in the quick profile none, or at 1 element when named"


def _and(items: list[str]) -> str:
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def add_placement(parser: argparse.ArgumentParser) -> None:
    """--placement, as `run` and `stream` take it."""
    parser.add_argument(
        "--placement",
        choices=placement.NAMES,
        help="where the measuring process and each worker or local peer run: os (unpinned, "
        "the scheduler decides), same-core (both pinned to one CPU), other-core (on two cores "
        "sharing the L3 where they can), other-l3 or other-socket where the machine has them "
        "(default: os)",
    )


def request(
    args: argparse.Namespace,
    known: Sequence[str],
    slowdown: tuple[str, float] | None = None,
) -> Request:
    """The Request of the selection flags in `args`, over the strategies `known`."""
    return run_request.new(
        known,
        strategies=args.strategies,
        ops_wanted=args.ops,
        dtypes=args.dtypes,
        sizes=args.sizes,
        profile=args.profile or "default",
        seed=args.seed,
        cell_budget_s=args.cell_budget,
        processes=args.processes,
        slowdown=slowdown,
        instructions=args.instructions,
        placement=args.placement,
        placement_rows=args.placement_rows,
    )


def run_flags(args: argparse.Namespace) -> list[str]:
    """The selection flags of `args` as a `run` command line takes them."""
    flags: list[str] = []
    for name in SELECTION:
        value = getattr(args, name)
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else f"--no-{name}")
        elif value is not None:
            flags += [flag, str(value)]
    return flags
