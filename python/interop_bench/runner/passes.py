"""The run as P passes: one measuring process after another, merged into one file.

Each pass measures every cell still open, in its own process (a fresh
interpreter, heap, page layout and huge-page draw) and its own shuffled order;
passes follow one another, so a cell's processes are spread over the whole
run and its interval holds minutes of drift as well as layout. While a pass
measures, this process only waits and, twice a second, counts the lines of
the pass file for the progress bar: it must not compete for the two cores or
the cache. After each pass the records are merged (runner/merge.py) and the
results file is rewritten atomically; a pass file left by a killed run is
merged by the next `--resume`, so nothing measured is lost.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from interop_bench import results_file
from interop_bench.results_file import FLOORS
from interop_bench.runner import placement
from interop_bench.runner.engine import Factory, run_pass
from interop_bench.runner.follow import Leader
from interop_bench.runner.merge import Merger, read_pass_file
from interop_bench.runner.pass_spec import JobSpec, PassSpec, key
from interop_bench.runner.request import Request
from interop_bench.runner.workload import identity
from interop_bench.strategies._transport.placement import starting_caller

Progress = Callable[[int, int, int], None]  # cell-passes done, expected, pass index
INTERRUPTED = 130
POLL_S = 0.5
STOP_TIMEOUT_S = 60.0  # a pass closing its strategies after Ctrl-C
WORKER_MODULE = "interop_bench.runner.pass_worker"
# A pass's random padding (PassSpec.layout_padding_bytes) spans pages: 64 KiB.
LAYOUT_PADDING_MAX_BYTES = 64 << 10


class PassError(RuntimeError):
    """A pass process that could not run at all; the message says which."""


class Launcher(Protocol):
    def run(self, spec: PassSpec, tick: Callable[[], None]) -> int:
        """Measure `spec` (records appended to spec.out); the exit status.
        KeyboardInterrupt propagates after the pass has stopped."""
        ...


class SubprocessLauncher:
    """Each pass in a new `python -m interop_bench.runner.pass_worker`: `python`
    is this interpreter, or another tree's (interop-bench ab's baseline)."""

    def __init__(self, python: str = sys.executable, env: Mapping[str, str] | None = None) -> None:
        self.python = python
        self.env = dict(env) if env is not None else None

    def run(self, spec: PassSpec, tick: Callable[[], None]) -> int:
        # Its own session: a Ctrl-C in the terminal reaches this process only,
        # which passes exactly one SIGINT on, so a second one cannot cut short
        # the pass's clean-up (strategies closed, workers stopped). It runs on
        # the run's caller CPUs (runner/placement.py).
        with starting_caller():
            child = subprocess.Popen(
                [self.python, "-m", WORKER_MODULE],
                stdin=subprocess.PIPE,
                env=self.env,
                start_new_session=True,
            )
        assert child.stdin is not None
        try:
            child.stdin.write(spec.to_json().encode())
            child.stdin.close()
            while True:
                try:
                    return child.wait(timeout=POLL_S)
                except subprocess.TimeoutExpired:
                    tick()
        except BaseException:
            _stop(child)
            raise


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


class InProcessLauncher:
    """Each pass in this process (tests: strategy doubles that are not registered)."""

    def __init__(self, factories: Mapping[str, Factory] | None = None) -> None:
        self.factories = dict(factories or {})

    def run(self, spec: PassSpec, tick: Callable[[], None]) -> int:
        run_pass(spec, self.factories)
        return 0


def pass_file(path: Path, pass_index: int) -> Path:
    return path.with_name(f".{path.name}.pass-{pass_index}.jsonl")


class PassRunner:
    """Measures what `document` still lacks of `request`, pass after pass, into `path`."""

    def __init__(
        self,
        request: Request,
        document: results_file.Document,
        path: Path,
        launcher: Launcher,
        *,
        on_progress: Progress | None = None,
        factory_paths: Mapping[str, str] | None = None,
        follow: Leader | None = None,
    ) -> None:
        self.request = request
        self.document = document
        self.path = path
        self.launcher = launcher
        self.merger = Merger(document)
        self._on_progress = on_progress or (lambda done, expected, index: None)
        self._factory_paths = dict(factory_paths or {})
        self._done = 0
        self.follow = follow  # the run whose decisions this one takes (runner/follow.py)

    def run(self) -> results_file.Document:
        """Measure every missing cell-pass; mark the document complete at the end."""
        self.start()
        for index in range(self.request.process_count):
            self.run_pass(index)
        return self.finish()

    def start(self) -> None:
        """Merge what a killed run left behind, before any new pass."""
        self._merge_leftovers()

    def run_pass(self, index: int) -> None:
        """Measure what pass `index` still lacks (in more than one process if one dies)."""
        processes = self.request.process_count
        self._skip_as_followed(index)
        while jobs := self.jobs(index):
            expected = self._done + len(jobs) * (processes - index)
            status = self._launch(index, jobs, expected)
            if status == INTERRUPTED:
                raise KeyboardInterrupt
            if status != 0:
                self._fail_in_flight(index, jobs, status)

    def finish(self) -> results_file.Document:
        self.document["complete"] = True
        results_file.write_atomic(self.path, self.document)
        return self.document

    # -- planning --------------------------------------------------------
    def jobs(self, pass_index: int) -> list[JobSpec]:
        """The cells pass `pass_index` still has to measure: those not measured
        yet (the pass may skip them by the budget) and the good ones that lack
        this pass (measured whatever the budget says: every process counts).
        A cell the followed run measured is measured whatever the budget says."""
        measured = self.follow.measured() if self.follow is not None else set()
        jobs = []
        for name, op, size in self.request.cell_keys():
            cell = self.merger.cells.get((name, op, size))
            if cell is None:
                # The floors are never skipped: a cell without its floor has no "x kernel".
                floor = name in FLOORS
                force = floor or (name, op, size) in measured
                jobs.append(JobSpec(name, op, size, extras=not floor, force=force))
            elif _lacks(cell, pass_index):
                extras = cell["memory_note"] is None and name not in FLOORS
                jobs.append(JobSpec(name, op, size, extras=extras, force=True))
        return jobs

    def _skip_as_followed(self, pass_index: int) -> None:
        """Record as skipped, before pass `pass_index` measures, the cells not
        decided yet that the followed run skipped."""
        if self.follow is None:
            return
        skipped = self.follow.skipped()
        records = [
            _unmeasured(pass_index, (name, op, size), "skipped", skipped[(name, op, size)])
            for name, op, size in self.request.cell_keys()
            if (name, op, size) in skipped and (name, op, size) not in self.merger.cells
        ]
        if records:
            self.merger.add(records)
            results_file.write_atomic(self.path, self.document)

    def _spec(self, pass_index: int, jobs: list[JobSpec]) -> PassSpec:
        history: dict[str, list[tuple[int, float]]] = {}
        over_budget: dict[str, int] = {}
        for cell in sorted(self.document["cells"], key=lambda c: int(c["size"])):
            name_op = key(cell["strategy"], cell["op"])
            if cell["status"] == "ok":
                history.setdefault(name_op, []).append((cell["size"], cell["stats"]["median_ns"]))
            elif cell["status"] == "skipped":
                over_budget.setdefault(name_op, cell["size"])
        return PassSpec(
            pass_index=pass_index,
            processes=self.request.process_count,
            seed=self.request.seed,
            profile=self.request.profile,
            jobs=tuple(jobs),
            out=str(pass_file(self.path, pass_index)),
            history=history,
            over_budget=over_budget,
            slowdown=dict(self.request.slowdown),
            factories=self._factory_paths,
            layout_padding_bytes=secrets.randbelow(LAYOUT_PADDING_MAX_BYTES // 16) * 16,
        )

    # -- one process -----------------------------------------------------
    def _launch(self, pass_index: int, jobs: list[JobSpec], expected: int) -> int:
        spec = self._spec(pass_index, jobs)
        out = Path(spec.out)
        out.unlink(missing_ok=True)
        launch: dict[str, Any] = {
            "pass": pass_index,
            "started_utc": _now(),
            "started_monotonic_ns": time.monotonic_ns(),  # orders launches within a second
            "layout_padding_bytes": spec.layout_padding_bytes,
        }
        counted = _LineCounter(out)

        def tick() -> None:
            self._on_progress(self._done + counted.cells(), expected, pass_index)

        placement.configure(self.request.placement)  # for the pass and its workers
        try:
            status = self.launcher.run(spec, tick)
        except KeyboardInterrupt:
            self._merge(out, launch, INTERRUPTED)
            raise
        started = self._merge(out, launch, status)
        if status not in (0, INTERRUPTED) and not started:
            raise PassError(
                f"the measuring process of pass {pass_index} exited with status {status} before "
                "it measured anything (its error is above)"
            )
        self._on_progress(self._done, expected, pass_index)
        return status

    def _merge(self, out: Path, launch: dict[str, Any], status: int | str) -> bool:
        """Merge a pass file; whether its process got as far as starting to measure."""
        launch.update(ended_utc=_now(), exit_status=status)
        records = list(read_pass_file(out))
        self._done += sum(r.get("type") == "cell" for r in records)
        self.merger.add(records, launch)
        results_file.write_atomic(self.path, self.document)
        out.unlink(missing_ok=True)
        return any(r.get("type") == "start" for r in records)

    def _merge_leftovers(self) -> None:
        """Pass files of a run that was killed before it could merge them."""
        for index in range(self.request.process_count):
            out = pass_file(self.path, index)
            if out.exists():
                self._merge(out, {"pass": index}, "unknown: left by an interrupted run")

    def _fail_in_flight(self, pass_index: int, jobs: list[JobSpec], status: int) -> None:
        """The measuring process died: the group it was in is recorded as an
        error, and the next process of the same pass takes up the rest."""
        unreported = [job for job in jobs if self._missing(job, pass_index)]
        if not unreported:
            return
        group = (unreported[0].op, unreported[0].size)
        reason = f"the measuring process of pass {pass_index} died (exit status {status})"
        records = [
            _unmeasured(
                pass_index,
                (job.name, job.op, job.size),
                "error",
                f"{reason} while this group was measured",
            )
            for job in unreported
            if (job.op, job.size) == group
        ]
        print(f"interop-bench run: {reason}; going on after the group {group}", file=sys.stderr)
        self.merger.add(records)
        results_file.write_atomic(self.path, self.document)

    def _missing(self, job: JobSpec, pass_index: int) -> bool:
        cell = self.merger.cells.get((job.name, job.op, job.size))
        if cell is None:
            return True
        return _lacks(cell, pass_index)


def follow_each_other(first: PassRunner, second: PassRunner) -> None:
    """Two runs measured in turn (`ab`'s sides): each follows the other, so
    whichever measures a cell first decides it for both."""
    first.follow = Leader(second.document, str(second.path))
    second.follow = Leader(first.document, str(first.path))


class _LineCounter:
    """Counts the cell records appended to a pass file, reading only what is new."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._count = 0

    def cells(self) -> int:
        try:
            with open(self.path, "rb") as stream:
                stream.seek(self._offset)
                new = stream.read()
        except FileNotFoundError:
            return self._count
        complete = new[: new.rfind(b"\n") + 1]
        self._offset += len(complete)
        self._count += complete.count(b'"type":"cell"')
        return self._count


def _unmeasured(
    pass_index: int, cell: tuple[str, str, int], status: str, reason: str
) -> dict[str, Any]:
    """The pass record of a cell that the parent decides without measuring it."""
    name, op, size = cell
    record = {"type": "cell", "pass": pass_index, "strategy": name, **identity(op, size)}
    return record | {"status": status, "reason": reason}


def _lacks(cell: dict[str, Any], pass_index: int) -> bool:
    """A good cell that no process of pass `pass_index` has measured yet."""
    return cell["status"] == "ok" and all(p["pass"] != pass_index for p in cell["processes"])


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
