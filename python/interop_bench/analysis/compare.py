"""Two runs, cell by cell: ratio of medians and a rank test on the raw samples.

A cell regressed only when the new samples are significantly slower (two-sided
Mann-Whitney U test at `alpha`, which needs no assumption about the shape of
the timing distribution) AND the ratio of medians exceeds 1 + threshold: a
tiny but consistent slowdown is reported, never failed on. A cell that was
`ok` and now gives a wrong answer or raises is a regression too, whatever the
timing says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scipy.stats import mannwhitneyu

from interop_bench.analysis.load import Cell, Results
from interop_bench.analysis.units import geometric_mean

# Below this many samples per side the U test cannot reach alpha = 0.01.
MIN_SAMPLES = 8
BROKEN = ("incorrect", "error")


@dataclass(frozen=True)
class CellChange:
    strategy: str
    op: str
    size: int
    old_median_ns: float | None
    new_median_ns: float | None
    ratio: float | None  # new / old median
    p_value: float | None
    verdict: str  # faster | slower | not significant | too few samples | became <status> | ...
    regression: bool


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
    changes: tuple[CellChange, ...]
    only_old: tuple[tuple[str, str, int], ...]
    only_new: tuple[tuple[str, str, int], ...]
    machine_warning: str | None
    summaries: tuple[StrategySummary, ...] = field(default=())

    @property
    def regressions(self) -> list[CellChange]:
        return [c for c in self.changes if c.regression]


def compare(old: Results, new: Results, threshold: float, alpha: float) -> Comparison:
    old_cells, new_cells = old.cell_map(), new.cell_map()
    common = sorted(old_cells.keys() & new_cells.keys())
    changes = tuple(_change(old_cells[k], new_cells[k], threshold, alpha) for k in common)
    return Comparison(
        old=old,
        new=new,
        threshold=threshold,
        alpha=alpha,
        changes=changes,
        only_old=tuple(sorted(old_cells.keys() - new_cells.keys())),
        only_new=tuple(sorted(new_cells.keys() - old_cells.keys())),
        machine_warning=machine_warning(old, new),
        summaries=_summaries(changes),
    )


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


def _change(old: Cell, new: Cell, threshold: float, alpha: float) -> CellChange:
    key = (old.strategy, old.op, old.size)
    if not (old.ok and new.ok):
        broke = old.ok and new.status in BROKEN
        moved = f"{old.status} -> {new.status}" if old.status != new.status else old.status
        return CellChange(
            *key,
            old_median_ns=old.median_ns if old.ok else None,
            new_median_ns=new.median_ns if new.ok else None,
            ratio=None,
            p_value=None,
            verdict=f"became {new.status}" if broke else moved,
            regression=broke,
        )
    ratio = new.median_ns / old.median_ns
    p_value = None
    if min(len(old.samples_ns), len(new.samples_ns)) < MIN_SAMPLES:
        verdict = "too few samples"
    else:
        test = mannwhitneyu(old.samples_ns, new.samples_ns, alternative="two-sided")
        p_value = float(test.pvalue)
        direction = "slower" if ratio > 1 else "faster"
        verdict = "not significant" if p_value >= alpha else direction
    return CellChange(
        *key,
        old_median_ns=old.median_ns,
        new_median_ns=new.median_ns,
        ratio=ratio,
        p_value=p_value,
        verdict=verdict,
        regression=verdict == "slower" and ratio > 1 + threshold,
    )


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
            regressions=sum(c.regression for c in own),
        )
        for name, own in sorted(by_strategy.items())
    )
