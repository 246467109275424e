"""One pass: the jobs of a PassSpec measured in this process, records emitted.

Sizes run in increasing order, and within a size each label (ops.label: the op
and its dtype, "sum", "sum:uint8", "frame"); the jobs of one (label, size)
group, the floors among them, take turns of ~batch_ns of samples, and the order
of the turns is reshuffled every round with a generator seeded by (run seed,
pass). Round-robin alone would put the same strategy first
after every garbage collection and after the previous strategy's cache
footprint; a shuffled order spreads those effects over everyone, and a
different order in every pass turns what is left of them into the spread
between processes, which the interval holds. Sizes run in increasing order so
that a strategy's time at the previous size can predict (and skip) a cell
that would blow the budget.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import random
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from statistics import median
from time import perf_counter_ns
from types import ModuleType
from typing import Any

import orjson

from interop_bench import native, strategies
from interop_bench.results_file import FLOORS, KERNEL
from interop_bench.runner import environment, floor_turns, noise, placed_rows, plan
from interop_bench.runner.cell import (
    CellRun,
    Job,
    Record,
    Settings,
    describe,
    empty_record,
    minimum_calls,
)
from interop_bench.runner.pass_spec import JobSpec, PassSpec, key
from interop_bench.runner.workload import Bound, Workload
from interop_bench.strategies import Strategy
from interop_bench.strategies._transport import placement as transport_placement

Factory = Callable[[], Strategy]
Emit = Callable[[Record], None]


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


class PassEngine:
    """Measures the jobs of `spec` in this process, emitting one record per cell."""

    def __init__(
        self, spec: PassSpec, emit: Emit, factories: Mapping[str, Factory] | None = None
    ) -> None:
        self.spec = spec
        self._emit = emit
        self._factories = dict(factories or {})
        self._rng = random.Random(f"{spec.seed}:{spec.pass_index}")
        self.profile = spec.profile.per_process(spec.processes)
        self._history = {k: list(v) for k, v in spec.history.items()}
        self._over_budget = dict(spec.over_budget)
        self._timer_module: ModuleType | str | None = None
        self._deadline_ns = 0
        self._remaining = len(spec.jobs)
        self._caller_cpus: dict[str, tuple[int, ...]] = {}  # placed rows' (runner/placed_rows.py)
        self.settings: Settings | None = None

    def run(self) -> None:
        timer = environment.measure_timer()
        self._emit(
            {"type": "start", "pass": self.spec.pass_index, "pid": os.getpid(), "timer": timer}
            | {"noise": noise.snapshot()}
        )
        self.settings = Settings(
            profile=self.profile,
            processes=self.spec.processes,
            budget_ns=int(self.profile.cell_budget_s * 1e9),
            cap_ns=int(self.spec.profile.cell_budget_s * 1e9),
            resolution_ns=float(timer["resolution_ns"]),
            loop_overhead_ns=float(timer["loop_overhead_ns"]),
            pass_index=self.spec.pass_index,
        )
        self._deadline_ns = perf_counter_ns() + int(self.profile.run_budget_s * 1e9)
        opened = self._open_all()
        # Everything alive now (modules, strategies) lives to the end: frozen out
        # of the collector, the collection before each round of turns takes
        # microseconds instead of ~75 ms of walking the imported libraries.
        gc.collect()
        gc.freeze()
        try:
            for (label, size), jobs in self._groups().items():
                self._measure_group(label, size, jobs, opened)
        finally:
            gc.unfreeze()
            for strategy in opened.values():
                if isinstance(strategy, Strategy):
                    _close(strategy)
        self._emit({"type": "end", "pass": self.spec.pass_index, "noise": noise.snapshot()})

    def _groups(self) -> dict[tuple[str, int], list[JobSpec]]:
        """The jobs by (label, size), sizes in increasing order (JobSpec.op is the label)."""
        groups: dict[tuple[str, int], list[JobSpec]] = {}
        for job in sorted(self.spec.jobs, key=lambda job: job.size):
            groups.setdefault((job.op, job.size), []).append(job)
        return groups

    # -- strategies ------------------------------------------------------
    def _make(self, name: str) -> Strategy:
        factory = self._factories.get(placed_rows.base(name))
        return factory() if factory else strategies.get(placed_rows.base(name))

    def _open_all(self) -> dict[str, Strategy | str]:
        """Every strategy with jobs, opened; the reason instead when it cannot be."""
        wanted = dict.fromkeys(j.name for j in self.spec.jobs if j.name not in FLOORS)
        opened: dict[str, Strategy | str] = {}
        for name in wanted:
            try:
                opened[name] = self._open(name)
            except Exception as error:
                opened[name] = f"could not open strategy {name!r}: {describe(error)}"
        return opened

    def _open(self, name: str) -> Strategy:
        strategy = self._make(name)
        caller = placed_rows.open_pinned(strategy, name)
        if caller is not None:
            self._caller_cpus[name] = caller
        return strategy

    def _on_caller_cpus(self, run: CellRun) -> AbstractContextManager[None]:
        """Around a cell's calls: a placed row's on its caller CPUs, another's where it is."""
        return transport_placement.running_on(self._caller_cpus.get(run.job.name))

    def _timer(self) -> ModuleType:
        """ib_floor_timer; NativeUnavailableError (every time) when it was not built."""
        if self._timer_module is None:
            try:
                self._timer_module = floor_turns.timer_module()
            except native.NativeUnavailableError as error:
                self._timer_module = str(error)
        if isinstance(self._timer_module, str):
            raise native.NativeUnavailableError(self._timer_module)
        return self._timer_module

    def _bind(self, job: JobSpec, workload: Workload, strategy: Strategy | None) -> Bound:
        if strategy is not None:
            return workload.bind(strategy)
        if job.name == KERNEL:
            return floor_turns.KernelBound(workload, self._timer())
        return floor_turns.ProbeBound(job.name, workload, self._timer())

    # -- one (label, size) -----------------------------------------------
    def _measure_group(
        self, label: str, size: int, jobs: list[JobSpec], opened: Mapping[str, Strategy | str]
    ) -> None:
        before = noise.cpu_times()
        assert self.settings is not None
        remaining_s = (self._deadline_ns - perf_counter_ns()) / 1e9
        budget_ns = plan.cell_budget_ns(self.profile, remaining_s, self._remaining)
        settings = dataclasses.replace(self.settings, budget_ns=budget_ns)
        workload = Workload(label, size, self.spec.seed)
        self._rng.shuffle(jobs)
        runs: list[CellRun] = []
        for job in jobs:
            run_or_record = self._cell_run(job, workload, settings, opened)
            if isinstance(run_or_record, CellRun):
                runs.append(run_or_record)
            else:
                self._record(run_or_record)
        self._sample_interleaved(runs)
        self._emit(
            {"type": "group", "pass": self.spec.pass_index, "op": label, "size": size}
            | noise.interval(before, noise.cpu_times())
        )

    def _cell_run(
        self,
        job: JobSpec,
        workload: Workload,
        settings: Settings,
        opened: Mapping[str, Strategy | str],
    ) -> CellRun | Record:
        pass_index = self.spec.pass_index
        strategy = opened.get(job.name)
        if isinstance(strategy, str):
            return empty_record(job.name, workload, pass_index, "error", strategy)
        reason = None if job.force else self._skip_reason(job, workload, settings, strategy)
        if reason is not None:
            return empty_record(job.name, workload, pass_index, "skipped", reason)
        try:
            bound = self._bind(job, workload, strategy)
        except Exception as error:
            return empty_record(job.name, workload, pass_index, "error", describe(error))
        slowdown = self.spec.slowdown.get(job.name, 0.0)
        history = self._history.get(key(job.name, job.op), [])
        estimate_ns = plan.estimate_call_ns(history, job.size)
        return CellRun(
            Job(job.name, job.extras, job.force, slowdown, estimate_ns),
            bound,
            workload,
            settings,
            strategy,
        )

    def _sample_interleaved(self, runs: list[CellRun]) -> None:
        active: list[CellRun] = []
        for run in runs:
            with gc_paused(), self._on_caller_cpus(run):
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
                    with self._on_caller_cpus(run):
                        stop, failed = run.turn()
                    if failed is not None:
                        active.remove(run)
                        self._record(failed)
                    elif stop is not None:
                        active.remove(run)
                        finished.append((run, stop))
            for run, stop in finished:
                with self._on_caller_cpus(run):
                    record = run.finish(stop)
                self._record(record)

    def _skip_reason(
        self, job: JobSpec, workload: Workload, settings: Settings, strategy: Strategy | None
    ) -> str | None:
        name_op = key(job.name, job.op)
        if name_op in self._over_budget:
            return f"a smaller size ({self._over_budget[name_op]}) was already skipped"
        reason = plan.skip_reason(
            budget_ns=settings.cap_ns,
            history=self._history.get(name_op, []),
            size=job.size,
            minimum=minimum_calls(settings, strategy),
            payload_bytes=workload.payload_bytes,
            available_bytes=environment.memory_bytes("MemAvailable"),
        )
        if reason is not None:
            self._over_budget[name_op] = job.size
        return reason

    def _record(self, record: Record) -> None:
        self._remaining -= 1
        name_op = key(record["strategy"], record["op"])
        if record["status"] == "ok":
            entry = (int(record["size"]), float(median(record["samples_ns"])))
            self._history.setdefault(name_op, []).append(entry)
        elif record["status"] == "skipped":
            self._over_budget.setdefault(name_op, int(record["size"]))
        self._emit(record)


def _close(strategy: Strategy) -> None:
    try:
        strategy.close()
    except Exception as error:
        print(f"warning: closing {strategy.name} failed: {describe(error)}", file=sys.stderr)


def run_pass(spec: PassSpec, factories: Mapping[str, Factory] | None = None) -> None:
    """Measure `spec` in this process, appending its records to `spec.out`."""
    padding = bytearray(spec.layout_padding_bytes)  # noqa: F841 - held to the end on purpose
    with open(spec.out, "ab") as out:

        def emit(record: dict[str, Any]) -> None:
            out.write(orjson.dumps(record) + b"\n")
            out.flush()

        PassEngine(spec, emit, factories).run()
