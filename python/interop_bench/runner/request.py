"""What a run measures: strategies x labels x sizes, the floors beside them, in how many processes.

A label is an op and its dtype (ops.label): the vector ops run at every element
count of `sizes` in every dtype of `dtypes`; frame runs at every resolution of
`resolutions` (its size is its image's bytes, H x W x 3).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interop_bench import ops, strategies
from interop_bench.ops import DEFAULT_DTYPE, DType, Op
from interop_bench.results_file import KERNEL
from interop_bench.runner import floor_turns, placed_rows, plan
from interop_bench.runner import placement as placements
from interop_bench.runner.placement import Placement
from interop_bench.runner.plan import Profile
from interop_bench.strategies._transport import net_peer

Key = tuple[str, str, int]


@dataclass(frozen=True)
class Request:
    strategies: tuple[str, ...]
    ops: tuple[Op, ...]
    sizes: tuple[int, ...]  # element counts of the vector ops
    profile: Profile
    seed: int = 0
    processes: int = 0  # 0: the profile's
    floors: bool = True  # the kernel alone and the bandwidth probes as turns of every group
    slowdown: dict[str, float] = field(default_factory=dict)  # validation runs only
    instructions: bool = False  # count instructions per call of the small cells (Valgrind)
    dtypes: tuple[DType, ...] = (DEFAULT_DTYPE,)  # of the vector ops
    resolutions: tuple[str, ...] = ()  # ops.RESOLUTIONS names, frame's sizes
    placement: Placement = placements.UNPINNED  # where the caller and its workers run
    # Placed rows (runner/placed_rows.py): the placements, their row names, their sizes.
    row_placements: tuple[Placement, ...] = ()
    placed: tuple[str, ...] = ()
    placed_sizes: tuple[int, ...] = ()

    @property
    def process_count(self) -> int:
        return self.processes or self.profile.processes

    def as_json(self) -> dict[str, Any]:
        return {
            "strategies": list(self.strategies),
            "ops": list(self.ops),
            "sizes": list(self.sizes),
            "profile": self.profile.name,
            "seed": self.seed,
            "cell_budget_s": self.profile.cell_budget_s,
            "sample_target_ns": self.profile.sample_target_ns,
            "processes": self.process_count,
            "floors": self.floors,
            "inject_slowdown": dict(self.slowdown),
            "instructions": self.instructions,
            "dtypes": list(self.dtypes),
            "resolutions": list(self.resolutions),
            "placement": self.placement.as_json(),
            "placement_rows": {
                "placements": [place.as_json() for place in self.row_placements],
                "rows": list(self.placed),
                "label": placed_rows.LABEL,
                "sizes": list(self.placed_sizes),
            },
        }

    def labels(self) -> list[str]:
        """The labels of the run: each vector op in each dtype, then frame, in --ops order."""
        found: list[str] = []
        for op in self.ops:
            dtypes = (ops.FRAME_DTYPE,) if op == "frame" else self.dtypes
            found += [ops.label(op, dtype) for dtype in dtypes]
        return found

    def groups(self) -> list[tuple[str, int]]:
        """Every (label, size) of the run in measuring order: sizes increasing
        (frames by their bytes among the vectors), then labels."""
        frame_sizes = tuple(ops.parse_size(name) for name in self.resolutions)
        order = {label: index for index, label in enumerate(self.labels())}
        pairs = [
            (label, size)
            for label in order
            for size in (frame_sizes if label == "frame" else self.sizes)
        ]
        return sorted(pairs, key=lambda pair: (pair[1], order[pair[0]]))

    def cell_keys(self) -> list[Key]:
        """Every cell of the run in measuring order: sizes, then labels, then names
        (the strategies', then the floors': the kernel for every label, the probes
        in the groups of the first label)."""
        keys: list[Key] = []
        labels = self.labels()
        for label, size in self.groups():
            keys += [(name, label, size) for name in self.strategies]
            if label == placed_rows.LABEL and size in self.placed_sizes:
                keys += [(name, label, size) for name in self.placed]
            if self.floors:
                keys.append((KERNEL, label, size))
                if label == labels[0]:
                    keys += [(probe, label, size) for probe in floor_turns.PROBES]
        return keys

    @property
    def cell_count(self) -> int:
        return len(self.cell_keys())

    @property
    def strategy_cell_count(self) -> int:
        """The cells of the strategies, placed rows included and floors not: the
        cells a run's budget is shared by (with_cell_budget)."""
        floors = {KERNEL, *floor_turns.PROBES}
        return sum(1 for name, _, _ in self.cell_keys() if name not in floors)


def new(
    known: Sequence[str],
    *,
    strategies: str | None = None,
    ops_wanted: str | None = None,
    dtypes: str | None = None,
    sizes: str | None = None,
    profile: str = "default",
    seed: int | None = None,
    cell_budget_s: float | None = None,
    processes: int | None = None,
    slowdown: tuple[str, float] | None = None,
    instructions: bool | None = None,
    placement: str | None = None,
    placement_rows: str | None = None,
) -> Request:
    """The request of a new run (run, aa and ab build theirs here) from the
    selection as a command line gives it: comma-separated names (None: every
    one of `known`, the profile's ops, dtypes and sizes), the profile's
    processes and instruction counting unless given, unpinned unless a
    placement is named, the profile's placed rows in an unpinned run unless
    named; plan.PlanError naming what does not fit."""
    chosen = plan.PROFILES[profile]
    names = plan.pick("strategy", strategies, known)
    selection = plan.select(chosen.name, ops_wanted, dtypes, sizes)
    slowed = {}
    if slowdown is not None:
        name, fraction = slowdown
        plan.pick("strategy", name, names)  # the slowed strategy must be measured
        slowed[name] = fraction
    request = Request(
        strategies=names,
        ops=selection.ops,
        sizes=selection.sizes,
        dtypes=selection.dtypes,
        resolutions=selection.resolutions,
        profile=chosen,
        seed=seed if seed is not None else 0,
        processes=processes or 0,
        slowdown=slowed,
        instructions=chosen.instructions if instructions is None else instructions,
        placement=placements.resolve(placement or placements.OS),
    )
    request = with_placed_rows(request, placement_rows)
    cells = request.strategy_cell_count
    return dataclasses.replace(request, profile=with_cell_budget(chosen, cell_budget_s, cells))


def with_placed_rows(request: Request, wanted: str | None) -> Request:
    """`request` with the placed rows of `wanted` (--placement-rows; None: the
    profile's, in an unpinned run) at the profile's placed sizes it measures.
    A placement of the profile's that this machine cannot provide (one CPU has
    no other core) is left out; one the flag names is a PlacementError."""
    pinned_run = request.placement.name != placements.OS
    if wanted is not None and pinned_run and placed_rows.parse(wanted):
        raise plan.PlanError(
            f"--placement-rows pins rows of an unpinned run; this run is pinned as a whole "
            f"(--placement {request.placement.name}): drop one of the two"
        )
    if pinned_run or placed_rows.LABEL not in request.ops or DEFAULT_DTYPE not in request.dtypes:
        return request
    axes = plan.AXES[request.profile.name]
    names = placed_rows.parse(wanted) if wanted is not None else axes.placement_rows
    sizes = tuple(size for size in axes.placed_sizes if size in request.sizes)
    chosen, missing = placed_rows.available(names)
    if missing and wanted is not None:
        raise placements.PlacementError(f"--placement-rows {wanted}: {'; '.join(missing)}")
    families = {name: _family(name) for name in request.strategies}
    placed = placed_rows.rows(request.strategies, families, chosen) if sizes else ()
    if not placed:
        return request
    return dataclasses.replace(request, row_placements=chosen, placed=placed, placed_sizes=sizes)


def without_placed_rows(request: Request) -> Request:
    return dataclasses.replace(request, row_placements=(), placed=(), placed_sizes=())


def _family(name: str) -> str:
    """A strategy's family; "" when its module does not import (its cells say why)
    or when a --peer serves it from another host (pinning there is not ours)."""
    try:
        family = strategies.strategy_class(name).family
        return "" if net_peer.configured(name) is not None else family
    except Exception:
        return ""


def stored(block: Mapping[str, Any]) -> Request:
    """The request a results file records (its `request` block, Request.as_json)."""
    profile = plan.PROFILES[block["profile"]]
    request = Request(
        strategies=tuple(block["strategies"]),
        ops=tuple(block["ops"]),
        sizes=tuple(int(size) for size in block["sizes"]),
        # A file written before the dtype axis measured float64 and no frames.
        dtypes=tuple(block.get("dtypes", (ops.DEFAULT_DTYPE,))),
        resolutions=tuple(block.get("resolutions", ())),
        profile=profile,
        seed=int(block["seed"]),
        processes=int(block["processes"]),
        floors=bool(block["floors"]),
        slowdown={str(k): float(v) for k, v in block["inject_slowdown"].items()},
        instructions=bool(block.get("instructions", False)),
        placement=placements.stored(block.get("placement")),
    )
    rows = block.get("placement_rows") or {}
    request = dataclasses.replace(
        request,
        row_placements=tuple(placements.stored(p) for p in rows.get("placements", ())),
        placed=tuple(rows.get("rows", ())),
        placed_sizes=tuple(int(size) for size in rows.get("sizes", ())),
    )
    return dataclasses.replace(
        request,
        profile=with_cell_budget(profile, block.get("cell_budget_s"), request.strategy_cell_count),
    )


def with_cell_budget(profile: Profile, cell_budget_s: float | None, cells: int) -> Profile:
    """`profile` whose cells may each take `cell_budget_s`; the run's budget grows
    so that its equal share per cell does not cut the cells back."""
    if cell_budget_s is None or cell_budget_s == profile.cell_budget_s:
        return profile
    run_budget_s = max(profile.run_budget_s, cell_budget_s * cells)
    return dataclasses.replace(profile, cell_budget_s=cell_budget_s, run_budget_s=run_budget_s)
