"""Two runs, cell by cell: did anything change more than the runs' own spread?

What is compared is what reproduces: each cell's center and the standard
error of its logarithm, both from its per-process medians and the machine's
speed shared by its group (interop_bench/intervals.py says why the process is
the unit). For each cell present and measured in both files, a t test on the
difference of the logs gives a p-value and a 95% interval of the ratio new / old.
With fewer than MIN_PROCESSES_TO_TEST processes on either side the test is
not made ("not enough processes"): the spread would rest on one degree of
freedom, and a version 1 file (one process per cell) never has more.

Hundreds of cells are tested at once, so significance is decided with the
Benjamini-Hochberg procedure at `alpha` over all of them: when nothing
changed (an A/A comparison), the chance that any cell at all is flagged stays
below `alpha`. A cell regressed only when it is significantly slower AND the
ratio exceeds 1 + threshold: a tiny but consistent slowdown is reported,
never failed on. A cell that was `ok` and now gives a wrong answer or raises
is a regression too. A cell that is not significant but whose interval still
reaches past the threshold is "noisy": the data cannot tell, which is not the
same as "no change" (asv's rule).

Instruction counts per call (Valgrind; deterministic, so no test is needed)
regress when they grow by more than `instructions_threshold`.

The floors (kernel alone, bandwidth probes) are compared too, never as
regressions: a floor that moved says the machine changed between the runs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from interop_bench import intervals
from interop_bench.analysis.detectable import smallest_detectable
from interop_bench.analysis.load import Cell, Results
from interop_bench.analysis.units import geometric_mean

BROKEN = ("incorrect", "error")
# Growth of instructions per call that is a regression. The count is exact for one
# build in one environment (two counts agree to 0.006%), but two builds of one
# commit in two virtual environments lay out memory differently: most cells
# agreed to 0.4% (median), a few moved by 2-3%, and capi's sum of one element
# is bimodal (1,046 or 1,175 instructions, 11%). A gate below that would fail
# `ab` on an unchanged commit; 15% still catches a copy or a conversion added.
INSTRUCTIONS_THRESHOLD = 0.15
# Environment settings that change timings; two files that differ in any are flagged.
SETTINGS = ("thp_enabled", "thp_defrag", "cpu_governor", "aslr", "affinity", "hypervisor")


@dataclass(frozen=True)
class CellChange:
    strategy: str
    op: str
    size: int
    payload_bytes: int
    old_median_ns: float | None
    new_median_ns: float | None
    ratio: float | None  # new / old median
    ratio_low: float | None  # 95% interval of the ratio
    ratio_high: float | None
    p_value: float | None
    processes: tuple[int, int]  # (old, new)
    verdict: str  # faster | slower | no change | noisy | not enough processes | became <status>
    regression: bool
    floor: bool = False
    status_changed: bool = False  # ok -> skipped, error -> ok, ...
    old_instructions: float | None = None
    new_instructions: float | None = None
    instructions_regression: bool = False
    detectable: float | None = None  # smallest slowdown flagged for certain (detectable.py)

    @property
    def instructions_ratio(self) -> float | None:
        if not self.old_instructions or self.new_instructions is None:
            return None
        return self.new_instructions / self.old_instructions


@dataclass(frozen=True)
class StrategySummary:
    strategy: str
    geomean_ratio: float
    cells: int
    slower: int
    faster: int
    regressions: int


@dataclass(frozen=True)
class Comparison:
    old: Results
    new: Results
    threshold: float
    alpha: float
    instructions_threshold: float
    changes: tuple[CellChange, ...]
    only_old: tuple[tuple[str, str, int], ...]
    only_new: tuple[tuple[str, str, int], ...]
    warnings: tuple[str, ...]
    summaries: tuple[StrategySummary, ...] = field(default=())
    # (package, old version, new version) for each release that differs: what
    # an A/B of two pins is about, and a cause to know of in any other.
    releases: tuple[tuple[str, str | None, str | None], ...] = field(default=())

    @property
    def regressions(self) -> list[CellChange]:
        return [c for c in self.changes if c.regression or c.instructions_regression]

    @property
    def measured_in_one(self) -> list[CellChange]:
        """The strategies' cells measured in one file and skipped or failed in
        the other: not compared, so a gate over them tests less than it seems."""
        return [c for c in self.changes if measured_in_one_file(c)]

    @property
    def machine_warning(self) -> str | None:
        return next((w for w in self.warnings if w.startswith("DIFFERENT MACHINES")), None)


def compare(
    old: Results,
    new: Results,
    threshold: float,
    alpha: float,
    instructions_threshold: float = INSTRUCTIONS_THRESHOLD,
    *,
    paired: bool = False,
) -> Comparison:
    """`paired`: the two files come from `interop-bench ab`, whose processes of one
    pass index ran one after the other, so each cell is tested on the differences
    of its paired processes (the machine's drift cancels) instead of as two
    independent runs."""
    old_cells = {c.key: (c, False) for c in old.cells} | {c.key: (c, True) for c in old.floor_cells}
    new_cells = {c.key: (c, False) for c in new.cells} | {c.key: (c, True) for c in new.floor_cells}
    common = sorted(old_cells.keys() & new_cells.keys())
    tester = _paired_test if paired else _test
    tests = [tester(old_cells[k][0], new_cells[k][0]) for k in common]
    p_values = [t.p_value for t in tests if t is not None]
    significant = iter(intervals.benjamini_hochberg(p_values, alpha))
    changes = []
    for key, test in zip(common, tests, strict=True):
        (old_cell, floor), (new_cell, _) = old_cells[key], new_cells[key]
        is_significant = next(significant) if test is not None else False
        change = _change(
            old_cell,
            new_cell,
            test=test,
            significant=is_significant,
            threshold=threshold,
            floor=floor,
        )
        change = _with_detectable(change, test, threshold, alpha, len(p_values))
        changes.append(_with_instructions(change, old_cell, new_cell, instructions_threshold))
    strategy_changes = tuple(c for c in changes if not c.floor)
    return Comparison(
        old=old,
        new=new,
        threshold=threshold,
        alpha=alpha,
        instructions_threshold=instructions_threshold,
        changes=tuple(changes),
        only_old=tuple(k for k in sorted(old_cells.keys() - new_cells.keys())),
        only_new=tuple(k for k in sorted(new_cells.keys() - old_cells.keys())),
        warnings=tuple(warnings(old, new, changes)),
        summaries=_summaries(strategy_changes),
        releases=releases_differing(old, new),
    )


def _test(old: Cell, new: Cell) -> intervals.RatioTest | None:
    """The test of new / old when both cells are ok with enough processes, else None."""
    if not (old.ok and new.ok):
        return None
    counts = (len(old.process_medians_ns), len(new.process_medians_ns))
    old_se, new_se = old.stat("log_standard_error"), new.stat("log_standard_error")
    if min(counts) < intervals.MIN_PROCESSES_TO_TEST or old_se is None or new_se is None:
        return None
    return intervals.independent_log_ratio(
        (old.median_ns, old_se, counts[0]), (new.median_ns, new_se, counts[1])
    )


def _paired_test(old: Cell, new: Cell) -> intervals.RatioTest | None:
    """The paired test of new / old over the passes both cells have."""
    if not (old.ok and new.ok):
        return None
    old_by_pass = dict(zip(old.process_passes, old.process_medians_ns, strict=True))
    new_by_pass = dict(zip(new.process_passes, new.process_medians_ns, strict=True))
    if len(old_by_pass.keys() & new_by_pass.keys()) < intervals.MIN_PROCESSES_TO_TEST:
        return None
    return intervals.paired_test(old_by_pass, new_by_pass)


def _change(
    old: Cell,
    new: Cell,
    *,
    test: intervals.RatioTest | None,
    significant: bool,
    threshold: float,
    floor: bool,
) -> CellChange:
    counts = (len(old.process_medians_ns), len(new.process_medians_ns))
    change = CellChange(
        strategy=old.strategy,
        op=old.op,
        size=old.size,
        payload_bytes=old.payload_bytes,
        old_median_ns=old.median_ns if old.ok else None,
        new_median_ns=new.median_ns if new.ok else None,
        ratio=None,
        ratio_low=None,
        ratio_high=None,
        p_value=None,
        processes=counts,
        verdict="",
        regression=False,
        floor=floor,
    )
    if not (old.ok and new.ok):
        broke = old.ok and new.status in BROKEN and not floor
        moved = f"{old.status} -> {new.status}" if old.status != new.status else old.status
        verdict = f"became {new.status}" if broke else moved
        return dataclasses.replace(
            change, verdict=verdict, regression=broke, status_changed=old.status != new.status
        )
    ratio = new.median_ns / old.median_ns
    if test is None:
        need = intervals.MIN_PROCESSES_TO_TEST
        verdict = f"not enough processes ({counts[0]} and {counts[1]}; {need} each needed)"
        return dataclasses.replace(change, ratio=ratio, verdict=verdict)
    if significant:
        verdict = "slower" if test.ratio > 1 else "faster"
    elif test.high > 1 + threshold or test.low < 1 / (1 + threshold):
        verdict = "noisy"
    else:
        verdict = "no change"
    # The tested ratio, with the interval around it: the two cells' ratio for
    # separate runs, the mean of the pairs' for alternating processes (`ab`),
    # where a one-process cell's fastest processes need not be one pair.
    return dataclasses.replace(
        change,
        ratio=test.ratio,
        ratio_low=test.low,
        ratio_high=test.high,
        p_value=test.p_value,
        verdict=verdict,
        regression=verdict == "slower" and ratio > 1 + threshold and not floor,
    )


def _with_detectable(
    change: CellChange,
    test: intervals.RatioTest | None,
    threshold: float,
    alpha: float,
    tested: int,
) -> CellChange:
    """`change` with its smallest detectable slowdown, where it was tested (a
    floor is never a regression, so none is detectable in it)."""
    if test is None or change.ratio is None or change.floor:
        return change
    detectable = smallest_detectable(
        test, change.ratio, threshold=threshold, alpha=alpha, tested=tested
    )
    return dataclasses.replace(change, detectable=detectable)


def _with_instructions(change: CellChange, old: Cell, new: Cell, threshold: float) -> CellChange:
    if old.instructions_per_call is None or new.instructions_per_call is None:
        return change
    grew = new.instructions_per_call > old.instructions_per_call * (1 + threshold)
    return dataclasses.replace(
        change,
        old_instructions=old.instructions_per_call,
        new_instructions=new.instructions_per_call,
        instructions_regression=grew and not change.floor,
    )


def estimator_warning(old: Results, new: Results) -> str | None:
    """Said when only one file gives its one-process cells by their fastest
    process (the other, from an older release, by the mean over processes,
    which is higher on a machine with slow spells): their ratios mix the two."""
    fastest = [any(c.by_fastest_process for c in r.cells) for r in (old, new)]
    if fastest[0] == fastest[1]:
        return None
    which = "new" if fastest[1] else "old"
    return (
        f"only the {which} file gives its one-process cells by their fastest process (the "
        "other by the mean over its processes, which a machine's slow spells raise): those "
        "cells compare two estimates, so measure the other side again with this version"
    )


def warnings(old: Results, new: Results, changes: list[CellChange]) -> list[str]:
    """What makes the two files less comparable than they look, loudest first."""
    found = []
    machine = machine_warning(old, new)
    if machine:
        found.append(machine)
    for results, which in ((old, "old"), (new, "new")):
        injected = (results.data.get("request") or {}).get("inject_slowdown") or {}
        for name, fraction in injected.items():
            found.append(
                f"the {which} file is a validation run: {name} was slowed by {fraction:.0%}"
            )
        if results.schema_version < 2:
            found.append(
                f"the {which} file has schema_version {results.schema_version}: one process per "
                "cell, so no cell of it can be tested (run it again with this version)"
            )
    estimators = estimator_warning(old, new)
    if estimators:
        found.append(estimators)
    if old.placement != new.placement:
        found.append(
            f"the files were measured in different placements ({old.placement_text} vs "
            f"{new.placement_text}): the cross-process cells' small sizes differ by where "
            "their processes ran, not only by the code"
        )
    differing = settings_differing(old, new)
    if differing:
        found.append("the machine was set up differently: " + "; ".join(differing))
    one_side = [c for c in changes if measured_in_one_file(c)]
    if one_side:
        found.append(
            f"{len(one_side)} cell(s) were measured in one file only (skipped or failed in the "
            'other), so not compared; listed under "Cells measured in one file only" (two '
            "runs decide a cell near the budget alike with `run --follow`)"
        )
    moved = [c for c in changes if c.floor and c.verdict in ("slower", "faster")]
    if moved:
        worst = max(moved, key=lambda c: abs(math.log(c.ratio or 1)))
        found.append(
            f"{len(moved)} floor cell(s) moved significantly (e.g. {worst.strategy} {worst.op} at "
            f"{worst.size}: {worst.ratio:.3f}x): the machine itself changed between the runs"
        )
    return found


def measured_in_one_file(change: CellChange) -> bool:
    """A strategy's cell with a median in one file only (ok there, not in the other)."""
    return not change.floor and (change.old_median_ns is None) != (change.new_median_ns is None)


def machine_warning(old: Results, new: Results) -> str | None:
    differing = [
        f"{key} {old.environment.get(key)!r} vs {new.environment.get(key)!r}"
        for key in ("host", "cpu_model")
        if old.environment.get(key) != new.environment.get(key)
    ]
    if not differing:
        return None
    return (
        "DIFFERENT MACHINES: "
        + "; ".join(differing)
        + ". Timing differences mostly reflect the hardware, not the code."
    )


def releases_differing(
    old: Results, new: Results
) -> tuple[tuple[str, str | None, str | None], ...]:
    """The packages (environment.versions, and Python) whose versions differ."""

    def releases(results: Results) -> dict[str, str]:
        found = dict(results.environment.get("versions") or {})
        if results.environment.get("python"):
            found["python"] = results.environment["python"]
        return {str(k): str(v) for k, v in found.items()}

    before, after = releases(old), releases(new)
    return tuple(
        (package, before.get(package), after.get(package))
        for package in sorted(before.keys() | after.keys())
        if before.get(package) != after.get(package)
    )


def settings_differing(old: Results, new: Results) -> list[str]:
    """The SETTINGS whose values differ between the runs' start snapshots."""
    old_noise = ((old.environment.get("noise") or {}).get("start")) or {}
    new_noise = ((new.environment.get("noise") or {}).get("start")) or {}
    if not old_noise or not new_noise:
        return []
    return [
        f"{key} {old_noise.get(key)!r} vs {new_noise.get(key)!r}"
        for key in SETTINGS
        if old_noise.get(key) != new_noise.get(key)
    ]


def _summaries(changes: tuple[CellChange, ...]) -> tuple[StrategySummary, ...]:
    by_strategy: dict[str, list[CellChange]] = {}
    for change in changes:
        by_strategy.setdefault(change.strategy, []).append(change)
    return tuple(
        StrategySummary(
            strategy=name,
            geomean_ratio=geometric_mean([c.ratio for c in own if c.ratio is not None]),
            cells=sum(c.ratio is not None for c in own),
            slower=sum(c.verdict == "slower" for c in own),
            faster=sum(c.verdict == "faster" for c in own),
            regressions=sum(c.regression or c.instructions_regression for c in own),
        )
        for name, own in sorted(by_strategy.items())
    )
