"""The run: sizes in increasing order, ops, and the strategies of one (op, size)
measured together with their sampling turns interleaved.

Interleaving: the strategies of one (op, size) take turns of ~batch_ns of
samples, and the order of the turns is reshuffled every round with a seeded
generator. Round-robin alone would put the same strategy first after every
garbage collection and after the previous strategy's cache footprint; a
shuffled order with a fixed seed spreads those effects over everyone and still
replays identically. Slow drift (thermal, frequency, a neighbour's job) then
lands on all strategies of a size alike instead of favouring whoever ran
first. Sizes run in increasing order so that a strategy's time at the previous
size can predict (and skip) a cell that would blow the budget.
"""

from __future__ import annotations

import dataclasses
import gc
import random
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns
from typing import Any

from interop_bench import strategies
from interop_bench.ops import Op
from interop_bench.runner import plan, results
from interop_bench.runner.cell import CellRun, Record, Settings, describe, empty_record
from interop_bench.runner.environment import memory_bytes
from interop_bench.runner.plan import Profile
from interop_bench.runner.workload import Workload
from interop_bench.strategies import Strategy

Key = tuple[str, str, int]
Factory = Callable[[], Strategy]


@dataclass(frozen=True)
class Request:
    strategies: tuple[str, ...]
    ops: tuple[Op, ...]
    sizes: tuple[int, ...]
    profile: Profile
    seed: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "strategies": list(self.strategies),
            "ops": list(self.ops),
            "sizes": list(self.sizes),
            "profile": self.profile.name,
            "seed": self.seed,
            "cell_budget_s": self.profile.cell_budget_s,
        }

    @property
    def cell_count(self) -> int:
        return len(self.strategies) * len(self.ops) * len(self.sizes)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Collect now, then no collection inside the block (none lands in a sample)."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Engine:
    """Measures the cells of `request` missing from `document`, writing `path` after each."""

    def __init__(
        self,
        request: Request,
        document: results.Document,
        path: Path,
        *,
        factories: Mapping[str, Factory] | None = None,
        on_cell: Callable[[Record], None] | None = None,
        on_group: Callable[[str, int], None] | None = None,
    ) -> None:
        self.request = request
        self.document = document
        self.path = path
        self._factories = dict(factories or {})
        self._on_cell = on_cell or (lambda record: None)
        self._on_group = on_group or (lambda op, size: None)
        self._rng = random.Random(request.seed)
        timer = document["environment"]["timer"]
        self.settings = Settings(
            profile=request.profile,
            budget_ns=int(request.profile.cell_budget_s * 1e9),  # set per (op, size)
            resolution_ns=float(timer["resolution_ns"]),
            loop_overhead_ns=float(timer["loop_overhead_ns"]),
            floors=document["environment"]["floors"],
        )
        self._deadline_ns = 0
        self._done: set[Key] = set()
        self._history: dict[tuple[str, str], list[tuple[int, float]]] = {}
        self._over_budget: dict[tuple[str, str], int] = {}
        for cell in sorted(document["cells"], key=lambda cell: int(cell["size"])):
            self._learn(cell)

    def missing(self) -> list[Key]:
        """The cells of the request not yet in the document."""
        request = self.request
        return [
            (name, op, size)
            for size in request.sizes
            for op in request.ops
            for name in request.strategies
            if (name, op, size) not in self._done
        ]

    def run(self) -> results.Document:
        """Measure every missing cell; mark the document complete at the end."""
        self._deadline_ns = perf_counter_ns() + int(self.request.profile.run_budget_s * 1e9)
        opened = self._open_all()
        # Everything alive now (modules, strategies) lives to the end: frozen out
        # of the collector, the collection before each round of turns takes
        # microseconds instead of ~75 ms of walking the imported libraries.
        gc.collect()
        gc.freeze()
        try:
            for size in self.request.sizes:
                for op in self.request.ops:
                    self._measure_group(op, size, opened)
        finally:
            gc.unfreeze()
            for strategy in opened.values():
                if isinstance(strategy, Strategy):
                    self._close(strategy)
        self.document["complete"] = True
        results.write_atomic(self.path, self.document)
        return self.document

    # -- strategies ------------------------------------------------------
    def _make(self, name: str) -> Strategy:
        factory = self._factories.get(name)
        return factory() if factory else strategies.get(name)

    def _open_all(self) -> dict[str, Strategy | str]:
        """Every strategy with missing cells, opened; the reason instead when it cannot be."""
        wanted = dict.fromkeys(name for name, _, _ in self.missing())
        opened: dict[str, Strategy | str] = {}
        for name in wanted:
            try:
                strategy = self._make(name)
                strategy.open()
                opened[name] = strategy
            except Exception as error:
                opened[name] = f"could not open strategy {name!r}: {describe(error)}"
        return opened

    @staticmethod
    def _close(strategy: Strategy) -> None:
        try:
            strategy.close()
        except Exception as error:
            print(f"warning: closing {strategy.name} failed: {describe(error)}", file=sys.stderr)

    # -- one (op, size) --------------------------------------------------
    def _measure_group(self, op: Op, size: int, opened: Mapping[str, Strategy | str]) -> None:
        names = [name for name in self.request.strategies if (name, op, size) not in self._done]
        if not names:
            return
        self._on_group(op, size)
        remaining_s = (self._deadline_ns - perf_counter_ns()) / 1e9
        budget_ns = plan.cell_budget_ns(self.request.profile, remaining_s, len(self.missing()))
        self.settings = dataclasses.replace(self.settings, budget_ns=budget_ns)
        workload = Workload(op, size, self.request.seed)
        self._rng.shuffle(names)
        runs: list[CellRun] = []
        for name in names:
            strategy = opened[name]
            if isinstance(strategy, str):
                self._record(empty_record(name, op, size, "error", strategy))
                continue
            reason = self._skip_reason(strategy, op, size)
            if reason is not None:
                self._record(empty_record(name, op, size, "skipped", reason))
                continue
            runs.append(CellRun(strategy, workload, self.settings))
        self._sample_interleaved(runs)

    def _sample_interleaved(self, runs: list[CellRun]) -> None:
        active: list[CellRun] = []
        for run in runs:
            with gc_paused():
                ended = run.start()
            if ended is None:
                active.append(run)
            else:
                self._record(ended)
        while active:
            self._rng.shuffle(active)
            finished: list[tuple[CellRun, str]] = []
            with gc_paused():
                for run in list(active):
                    stop, failed = run.turn()
                    if failed is not None:
                        active.remove(run)
                        self._record(failed)
                    elif stop is not None:
                        active.remove(run)
                        finished.append((run, stop))
            for run, stop in finished:
                self._record(run.finish(stop))

    def _skip_reason(self, strategy: Strategy, op: str, size: int) -> str | None:
        key = (strategy.name, op)
        if key in self._over_budget:
            return f"a smaller size ({self._over_budget[key]}) was already skipped"
        reason = plan.skip_reason(
            budget_ns=self.settings.budget_ns,
            estimated_call_ns=plan.estimate_call_ns(self._history.get(key, []), size),
            payload_bytes=size * 8,
            available_bytes=memory_bytes("MemAvailable"),
        )
        if reason is not None:
            self._over_budget[key] = size
        return reason

    # -- results ---------------------------------------------------------
    def _learn(self, cell: Record) -> None:
        key = (cell["strategy"], cell["op"])
        self._done.add((cell["strategy"], cell["op"], int(cell["size"])))
        if cell["status"] == "ok":
            self._history.setdefault(key, []).append(
                (int(cell["size"]), cell["stats"]["median_ns"])
            )
        elif cell["status"] == "skipped":
            self._over_budget.setdefault(key, int(cell["size"]))

    def _record(self, cell: Record) -> None:
        self._learn(cell)
        self.document["cells"].append(cell)
        results.write_atomic(self.path, self.document)
        self._on_cell(cell)
