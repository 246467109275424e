"""What a run measures and how hard it tries: profiles, sizes, dtypes, skipping rules."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from interop_bench import ops
from interop_bench.ops import DType, Op

MS = 1_000_000  # ns

# Sizes are element counts (of every dtype). The default sweep is log-spaced with 3x
# points where a cell is cheap and where the caches change (a 1 MiB L2 holds
# ~1.3e5 doubles, a 32 MiB L3 ~4e6): that is where throughput curves bend.
DEFAULT_SIZES = (
    1,
    10,
    100,
    1_000,
    3_000,
    10_000,
    30_000,
    100_000,
    300_000,
    1_000_000,
    3_000_000,
    10_000_000,
)


@dataclass(frozen=True)
class Profile:
    """How much a run measures and how long each cell may take."""

    name: str
    sizes: tuple[int, ...]
    # Independent processes (passes) that each measure every cell, one after
    # the other, so that a cell's interval holds what differs between
    # processes and over minutes (see interop_bench/intervals.py). `run_budget_s`
    # and `cell_budget_s` are totals, shared by the passes.
    processes: int
    # The whole matrix shares `run_budget_s`: a cell may take an equal share
    # of what is left (at most cell_budget_s), so that the run length holds
    # whether 1 or 15 strategies are registered (see cell_budget_ns).
    run_budget_s: float
    cell_budget_s: float
    min_samples: int  # per process; 6 is the least for which the order-statistics CI exists
    max_samples: int  # per process
    sample_target_ns: int  # calibrate calls per sample so one sample lasts at least this
    warmup_ns: int  # per process
    batch_ns: int  # sampling time one cell takes per turn of the round-robin
    phase_calls: int  # call_with_phases calls whose per-phase medians are kept
    # Google Benchmark's --benchmark_min_time per native floor of the
    # cross-check. Not too short: each repetition allocates fresh buffers, and
    # over the first ~0.1 s a freshly faulted 80 MB buffer read ~12% slower
    # here (4 KiB pages not yet collapsed into huge ones).
    floors_min_time_s: float
    roofline_bytes: int  # buffer of the cross-check's read/memcpy probes: many times any L3
    # Count instructions per call of the small cells under Valgrind (~30 s for
    # every strategy: too long for the quick profile's 90 s).
    instructions: bool = True
    ci_relative: float = 0.01  # a process stops a cell once its own CI is within +-1%

    def per_process(self, processes: int) -> Profile:
        """The budgets of one of `processes` passes."""
        return dataclasses.replace(
            self,
            run_budget_s=self.run_budget_s / processes,
            cell_budget_s=self.cell_budget_s / processes,
        )


PROFILES: dict[str, Profile] = {
    # <= 90 s on 2 cores with ~36 strategies x 4 ops: 4 sizes (latency at 1,
    # a cache-resident 1e3, bandwidth at 1e6 and 1e7) and ~50 s of measuring
    # in 5 processes; the rest is start-up, the cross-check floors (~4 s) and
    # the file writes.
    "quick": Profile(
        name="quick",
        sizes=(1, 1_000, 1_000_000, 10_000_000),
        processes=5,
        run_budget_s=40.0,
        cell_budget_s=0.5,
        min_samples=6,
        max_samples=40,
        sample_target_ns=100_000,
        warmup_ns=2 * MS,
        batch_ns=5 * MS,
        phase_calls=5,
        floors_min_time_s=0.05,
        roofline_bytes=128 << 20,
        instructions=False,
    ),
    # <= 10 min on 2 cores with ~40 strategies: the full sweep to 1e7 and frames
    # at 720p, 1080p and 4k. Where a run goes with 41 strategies (2166 cells a
    # pass): start-up and the Google Benchmark floors ~30 s; pass 0 ~100 s
    # (sampling, checks ~25 s, phases ~29 s, memory ~10 s); passes 1-4 ~57 s
    # each (sampling ~32 s, checks ~16 s, warm-up ~8 s); the instruction counts
    # ~106 s (23 Valgrind processes, half of it their start-up); the report.
    # Turns of 5 ms give a cell about two turns a pass.
    "default": Profile(
        name="default",
        sizes=DEFAULT_SIZES,
        processes=5,
        run_budget_s=160.0,
        cell_budget_s=1.5,
        min_samples=8,
        max_samples=100,
        sample_target_ns=250_000,
        warmup_ns=5 * MS,
        batch_ns=5 * MS,
        phase_calls=11,
        floors_min_time_s=0.1,
        roofline_bytes=256 << 20,
    ),
    # Up to 1e8 elements (800 MB a payload); no overall hurry.
    "full": Profile(
        name="full",
        sizes=(*DEFAULT_SIZES, 30_000_000, 100_000_000),
        processes=10,
        run_budget_s=3600.0,
        cell_budget_s=5.0,
        min_samples=10,
        max_samples=200,
        sample_target_ns=1 * MS,
        warmup_ns=20 * MS,
        batch_ns=20 * MS,
        phase_calls=21,
        floors_min_time_s=0.5,
        roofline_bytes=512 << 20,
    ),
}


@dataclass(frozen=True)
class Axes:
    """A profile's dtypes (of the vector ops) and frame resolutions. Kept beside
    Profile, not in it: Profile travels in the pass spec, which a baseline commit
    older than the dtype axis must still read (runner/pass_spec.py)."""

    dtypes: tuple[DType, ...]
    resolutions: tuple[str, ...]
    # The placements of the placed rows of an unpinned run, and their sizes
    # (runner/placed_rows.py): the quick profile has them only when asked.
    placement_rows: tuple[str, ...] = ()
    placed_sizes: tuple[int, ...] = (1,)


PINNED_PLACEMENTS = ("same-core", "other-core")
AXES: dict[str, Axes] = {
    "quick": Axes((ops.DEFAULT_DTYPE,), ("vga",)),
    "default": Axes((ops.DEFAULT_DTYPE,), ("720p", "1080p", "4k"), PINNED_PLACEMENTS, (1, 10_000)),
    "full": Axes(
        ops.DTYPES, tuple(ops.RESOLUTIONS), PINNED_PLACEMENTS, (1, 100, 10_000, 1_000_000)
    ),
}


# Calls a cell makes in each process besides its samples: the answer check
# (which also calibrates and warms up a call slower than a sample's target),
# and at least one sample. Pass 0 adds the memory probe and the phases.
CALLS_PER_PROCESS = 2
MEMORY_CALLS = 1

# The phases of a cell: at least this many calls, then more (up to the
# profile's phase_calls) while they have used less than this share of its cap.
MIN_PHASE_CALLS = 3
PHASES_SHARE = 0.1

# The skip rule trusts an estimate fitted on sizes at most this many times
# smaller (the default sweep's steps are 3-3.3x, its frames' up to 4x) with the
# cell's minimum calls, against this multiple of the budget (see skip_reason).
# The margin holds the estimate's error: on a 2-core VM it came out up to 2.8x a
# cell's own pass-0 time (99% within 2.3x); at 1.5x it skipped cells that the
# next run of the same commit measured at 0.4-0.7 of the budget.
NEAR_EXTRAPOLATION = 4.0
ESTIMATE_MARGIN = 3.0
# From farther away, a per-element cost is extrapolated only when the larger of
# the two sizes below took at least this many times the smaller's time: below
# it, their difference can be noise on the fixed cost (pass 0's 1.39 and 2.21 ms
# at 1 and 1e3 elements made 820 ms at 1e6, where a call took 10 ms; the VM's
# speed alone moves a time 2x).
FAR_SLOPE_EVIDENCE = 3.0
# A call's time grows at most about in proportion to the size (a cache level
# left behind adds a few times): a last size that took more than this many times
# its proportional share of the size before was an outlier (on a busy machine
# pass 0 can hold a single sample of a cell: 64 ms where a call took 0.2 ms),
# and nothing is estimated from it.
IMPLAUSIBLE_GROWTH = 4.0

# The checked call is cold (a first conversion, page faults of a fresh buffer, a
# worker's wake-up): on that VM 1.1-3.2x the warm median of the cells it skipped
# in one run of a commit and not in the other, and 100-6000x at size 1 on a busy
# machine, which then skipped the whole row. So a cell over the budget on its
# checked call alone is called again, warm, up to REPEAT_CALLS times, and judged
# on the fastest call (see repeat_check). Repeated only while the checked call
# is within REPEAT_BAND times the budget, or the smaller sizes' warm estimate
# says the cell fits (it contradicts the checked call), or there is no estimate
# (the row's first size); and never once one call exceeds the whole budget.
REPEAT_CALLS = 2
REPEAT_BAND = 3.0

# A cell holds the input, a pristine copy, scale's output and whatever the
# strategy makes (a serialized form can be a few times the payload).
MEMORY_PAYLOAD_MULTIPLE = 8


class PlanError(ValueError):
    """A bad selection (unknown name, bad size); the message names it."""


def parse_sizes(text: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """'1,1e3,4k,1e6' -> ((1, 1000, 1000000), ('4k',)): the element counts (whole
    numbers >= 1, sorted, unique) and the resolution names (ops.RESOLUTIONS,
    smallest first), each kind for the ops that take it."""
    counts: set[int] = set()
    names: set[str] = set()
    for item in (part.strip() for part in text.split(",")):
        if item.lower() in ops.RESOLUTIONS:
            names.add(item.lower())
            continue
        try:
            value = float(item)
        except ValueError:
            raise PlanError(
                f"bad size {item!r}: sizes are element counts like 1,1e3,1e6 or frame "
                f"resolutions ({', '.join(ops.RESOLUTIONS)})"
            ) from None
        if not (math.isfinite(value) and value >= 1 and value == int(value)):
            raise PlanError(f"bad size {item!r}: sizes must be whole numbers >= 1")
        counts.add(int(value))
    return tuple(sorted(counts)), tuple(name for name in ops.RESOLUTIONS if name in names)


@dataclass(frozen=True)
class Selection:
    """What a run (or an A/B run) measures: ops, the vector ops' dtypes and
    element counts, frame's resolutions."""

    ops: tuple[Op, ...]
    dtypes: tuple[DType, ...]
    sizes: tuple[int, ...]
    resolutions: tuple[str, ...]


def select(
    profile: str, wanted_ops: str | None, wanted_dtypes: str | None, wanted_sizes: str | None
) -> Selection:
    """The --ops, --dtypes and --sizes of a command line, checked against each
    other (the profile's where one is not given): the vector ops run at every
    element count, frame at every resolution. Without --ops, the ops that have
    a size of their kind; with it, every op must have one and every size an op."""
    axes = AXES[profile]
    dtypes = pick("dtype", wanted_dtypes, ops.DTYPES) if wanted_dtypes else axes.dtypes
    if wanted_sizes is None:
        counts, resolutions = PROFILES[profile].sizes, axes.resolutions
    else:
        counts, resolutions = parse_sizes(wanted_sizes)
    if wanted_ops is None:
        present = tuple(op for op in ops.OPS if (resolutions if op == "frame" else counts))
        return Selection(present, dtypes, counts, resolutions)  # type: ignore[arg-type]
    chosen = pick("op", wanted_ops, ops.OPS)
    for op in chosen:
        if op == "frame" and not resolutions:
            raise PlanError(
                f"frame runs at frame resolutions ({', '.join(ops.RESOLUTIONS)}); --sizes has none"
            )
        if op != "frame" and not counts:
            raise PlanError(f"{op} runs at element counts (1,1e3,1e6...); --sizes has none")
    if wanted_sizes is not None and resolutions and "frame" not in chosen:
        raise PlanError(f"--sizes {','.join(resolutions)}: resolutions are frame's, not in --ops")
    if wanted_sizes is not None and counts and all(op == "frame" for op in chosen):
        raise PlanError("--sizes has element counts, but --ops has no vector op (only frame)")
    vector_counts = counts if any(op != "frame" for op in chosen) else ()
    frame_sizes = resolutions if "frame" in chosen else ()
    return Selection(chosen, dtypes, vector_counts, frame_sizes)  # type: ignore[arg-type]


def pick(kind: str, wanted: str | None, known: Sequence[str]) -> tuple[str, ...]:
    """The comma-separated `wanted` names (all `known` when None), each checked."""
    if wanted is None:
        return tuple(known)
    names = tuple(dict.fromkeys(name.strip() for name in wanted.split(",") if name.strip()))
    for name in names:
        if name not in known:
            raise PlanError(f"unknown {kind} {name!r}; known: {', '.join(known)}")
    if not names:
        raise PlanError(f"no {kind} given; known: {', '.join(known)}")
    return names


# However far a run is behind, a cell still gets this share of the cap. Small:
# every cell of a pass gets it, so the cells times this floor must stay well
# inside a pass's budget, or the floor decides the run's length instead of
# run_budget_s (at 0.1, 41 strategies' 2166 cells took 65 s of sampling a
# default pass against a share of 48 s).
MIN_BUDGET_SHARE = 0.03


def cell_budget_ns(profile: Profile, remaining_s: float, remaining_cells: int) -> int:
    """The time one cell may take: an equal share of what is left of the run's
    budget, at most the profile's cap. Small cells usually stop early on the
    CI, so what they leave flows to the larger sizes, which come last."""
    share_s = max(remaining_s, 0.0) / max(remaining_cells, 1)
    budget_s = min(profile.cell_budget_s, max(share_s, profile.cell_budget_s * MIN_BUDGET_SHARE))
    return int(budget_s * 1e9)


def estimate_call_ns(history: Sequence[tuple[int, float]], size: int) -> float | None:
    """A call's time at `size` from earlier (size, median ns) of the same
    strategy and op; None without history.

    Two or more earlier sizes: time = fixed + per-element cost, fitted on the
    last two. One earlier size tells only the fixed cost, and time does not
    shrink with size, so that one time is returned as a lower bound (the check
    call then measures the real cost before any sampling; see `over_budget`);
    so is the last time when `size` is more than NEAR_EXTRAPOLATION times away
    and the two sizes show no per-element cost above noise (FAR_SLOPE_EVIDENCE).
    None as well when the last time is an outlier (IMPLAUSIBLE_GROWTH).
    """
    if not history:
        return None
    last_size, last_ns = history[-1]
    if len(history) == 1:
        return last_ns
    prev_size, prev_ns = history[-2]
    if last_ns > prev_ns * (last_size / prev_size) * IMPLAUSIBLE_GROWTH:
        return None
    if size > last_size * NEAR_EXTRAPOLATION and last_ns < prev_ns * FAR_SLOPE_EVIDENCE:
        return last_ns
    per_element_ns = max((last_ns - prev_ns) / (last_size - prev_size), 0.0)
    fixed_ns = max(last_ns - per_element_ns * last_size, 0.0)
    return max(fixed_ns + per_element_ns * size, last_ns)


def minimum_calls(profile: Profile, processes: int, with_phases: bool) -> int:
    """The calls the skip rule charges a cell over the whole run: each process
    checks it and takes one sample; the first also measures memory and phases.
    The phases are charged in full although slow cells make fewer of them
    (`phase_calls`): bounding them was to shorten the run, not to admit slower cells."""
    phases = profile.phase_calls if with_phases else 0
    return processes * CALLS_PER_PROCESS + MEMORY_CALLS + phases


def another_phase_call(profile: Profile, calls_made: int, spent_ns: int, cap_ns: int) -> bool:
    """Whether the phases of a cell take another call after `calls_made` calls
    that took `spent_ns`: up to the profile's phase_calls and at least
    MIN_PHASE_CALLS, but no more once they have used PHASES_SHARE of the cell's
    cap. At 11 calls each, slow cells' phases took 49 s of a 170 s first pass."""
    if calls_made >= profile.phase_calls:
        return False
    return calls_made < MIN_PHASE_CALLS or spent_ns < cap_ns * PHASES_SHARE


def over_budget(
    call_ns: float, calls: int, budget_ns: int, source: str, margin: float = 1.0
) -> str | None:
    """Why `calls` calls of `call_ns` do not fit `margin` times the cell budget, or None."""
    total_ns = call_ns * calls
    if total_ns <= budget_ns * margin:
        return None
    over = f"{margin:g}x the cell budget" if margin != 1.0 else "the cell budget"
    return (
        f"{calls} call(s) of ~{call_ns / 1e6:.3g} ms ({source}) need ~{total_ns / 1e9:.2f} s, "
        f"over {over} of {budget_ns / 1e9:.2f} s"
    )


def too_slow(
    check_ns: float,
    repeat: Callable[[], float],
    calls: int,
    budget_ns: int,
    estimate_ns: float | None,
) -> str | None:
    """Why a checked cell's `calls` minimum calls do not fit the budget, or None
    to measure it: judged on the fastest of its checked call (`check_ns`) and
    the warm calls (`repeat()`, each a call's nanoseconds) that repeat_check
    asks for."""
    call_ns = [check_ns]
    while repeat_check(call_ns, calls, budget_ns, estimate_ns):
        call_ns.append(repeat())
    if len(call_ns) == 1:
        source = "the checked call"
    else:
        source = f"the fastest of the checked call and {len(call_ns) - 1} warm repeat(s)"
    return over_budget(min(call_ns), calls, budget_ns, source)


def repeat_check(
    call_ns: Sequence[float], calls: int, budget_ns: int, estimate_ns: float | None
) -> bool:
    """Whether a cell whose checked call and repeats so far took `call_ns`
    makes another warm call before it is judged (see REPEAT_BAND): only while
    the fastest is over the budget. Each repeat costs about one call, so the
    extra time is bounded by REPEAT_CALLS calls of the row's first cell over the
    budget (later sizes are skipped without a call)."""
    fastest = min(call_ns)
    if len(call_ns) > REPEAT_CALLS or call_ns[0] > budget_ns or fastest * calls <= budget_ns:
        return False
    near = fastest * calls <= budget_ns * REPEAT_BAND
    contradicted = estimate_ns is None or estimate_ns * calls <= budget_ns
    return near or contradicted


def skip_reason(
    *,
    budget_ns: int,
    history: Sequence[tuple[int, float]],
    size: int,
    minimum: int,
    payload_bytes: int,
    available_bytes: int | None,
) -> str | None:
    """Why a cell should not be attempted at all, or None to check and measure it.

    The time estimated from the smaller sizes (`history`, see estimate_call_ns)
    skips a cell in two cases. Fitted on the two sizes just below, at most
    NEAR_EXTRAPOLATION times smaller: when its `minimum` calls would need more
    than ESTIMATE_MARGIN times the budget (a margin for the estimate's error:
    below it the cell's own calls decide). From farther away, extrapolating a
    thousandfold from sizes where fixed costs and noise dominate is too
    unreliable to drop a measurement on: only when a single call would overrun
    the budget. Otherwise the cell's own calls decide (see repeat_check and
    CellRun.start): skipping clearly slow cells on the estimate saves those
    calls, which in the first pass cost ~20 s that were then not timed."""
    if available_bytes is not None and payload_bytes * MEMORY_PAYLOAD_MULTIPLE > available_bytes:
        return (
            f"needs ~{MEMORY_PAYLOAD_MULTIPLE}x the payload ({payload_bytes} bytes) in memory, "
            f"only {available_bytes} bytes available"
        )
    estimate_ns = estimate_call_ns(history, size)
    if estimate_ns is None:
        return None
    source = "estimated from the smaller sizes"
    if len(history) >= 2 and size <= history[-1][0] * NEAR_EXTRAPOLATION:
        return over_budget(estimate_ns, minimum, budget_ns, source, ESTIMATE_MARGIN)
    return over_budget(estimate_ns, 1, budget_ns, source)
