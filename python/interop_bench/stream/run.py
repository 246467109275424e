"""A stream run: its cells, its processes one after the other, its results file.

Each pass streams each strategy's cells in a fresh process (its own heap and
page layout, as the matrix's passes; one start-up and one open of the strategy
for all its cells). Pass 0 goes lightest first (resolution, then rate), and a
strategy that cannot keep up with a rate at some depth is not run at a heavier
load of that depth: the cell is recorded `skipped`, naming the measurement that
shows it (stream/pruning.py). A cell that pass 0 shows cannot keep up (in
full, or stopped early by stream/cell.py's count rule), or that missed so many
frames that no later process can make it carry the rate, is settled: its one
process is the evidence, and no interval is needed to say it. Later passes
stream only the cells whose verdict rests on their tail (they carry the rate
or miss a small share of it), in a new shuffled order. The file is rewritten
atomically after every process, so an interrupted run keeps every finished
cell; a process that dies makes the cell it was in an error naming its exit
status, and the run goes on with the strategy's next cell in a new process.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from interop_bench import __version__, ops, results_file, strategies
from interop_bench.strategies._transport.placement import starting_caller
from interop_bench.stream.budget import Budget, minutes
from interop_bench.stream.figures import (
    CANNOT_KEEP_UP,
    CARRIES_MISSED_SHARE,
    summarize,
    to_resolve,
)
from interop_bench.stream.files import KIND
from interop_bench.stream.pipelining import KERNEL, depth_limit
from interop_bench.stream.pruning import Pruner

SCHEMA_VERSION = 1
INTERRUPTED = 130
# A measuring process: its spec on stdin (stream/process.py).
MEASURING_PROCESS = (sys.executable, "-m", "interop_bench.stream.process")


@dataclass(frozen=True)
class StreamRequest:
    strategies: tuple[str, ...]
    resolutions: tuple[str, ...]
    fps: tuple[float, ...]
    depths: tuple[int, ...]
    duration_s: float | None  # None: each cell the frames a process needs to resolve its p99
    processes: int
    seed: int = 0
    # Isolated-call medians of frames from a matrix run (strategy, resolution, ns),
    # with the file they come from: a cell they show cannot keep up is not run.
    matrix_medians: tuple[tuple[str, str, float], ...] = ()
    matrix_file: str | None = None
    # Where the measuring process and its workers ran (runner/placement.py's
    # Placement.as_json); None: unpinned.
    placement: dict[str, Any] | None = None
    # Stream a depth only where the shallower ones did not carry the load (stream/pruning.py).
    deeper_if_needed: bool = False

    def cells(self) -> list[dict[str, Any]]:
        """Every (strategy, resolution, fps, depth), the kernel alone first, lightest first."""
        names = (KERNEL, *self.strategies)
        order = {name: index for index, name in enumerate(ops.RESOLUTIONS)}
        return [
            {"strategy": n, "resolution": r, "fps": f, "depth": d, "duration_s": self.duration(f)}
            for n in names
            for r in sorted(self.resolutions, key=order.__getitem__)
            for f in sorted(self.fps)
            for d in sorted(self.depths)
            if n != KERNEL or d == 1
        ]

    def duration(self, fps: float) -> float:
        """A cell's seconds a process: as asked, or the frames that resolve p99 at its rate."""
        return self.duration_s if self.duration_s is not None else to_resolve(99.0) / fps


def key(cell: dict[str, Any]) -> tuple[str, str, float, int]:
    return (cell["strategy"], cell["resolution"], float(cell["fps"]), int(cell["depth"]))


def refusal(cell: dict[str, Any], request: StreamRequest) -> str | None:
    """Why a cell is not run at all (a depth the strategy cannot pipeline, or a
    matrix median over what its depth can hide), or None."""
    if cell["strategy"] == KERNEL:
        return None
    limit, why = depth_limit(strategies.strategy_class(cell["strategy"]))
    if cell["depth"] > limit:
        return f"depth {cell['depth']} not run: {why}"
    return _over_its_periods(cell, request)


def _over_its_periods(cell: dict[str, Any], request: StreamRequest) -> str | None:
    """A matrix median longer than `depth` periods: even perfect overlap cannot keep up."""
    period_ns = 1e9 / cell["fps"]
    for strategy, resolution, median_ns in request.matrix_medians:
        mine = (strategy, resolution) == (cell["strategy"], cell["resolution"])
        if mine and median_ns > cell["depth"] * period_ns:
            return (
                f"not run: its median frame time in {request.matrix_file} is "
                f"{median_ns / 1e6:.3g} ms, over {cell['depth']} period(s) of "
                f"{period_ns / 1e6:.3g} ms at {cell['fps']:g} fps: it cannot keep up"
            )
    return None


class StreamRun:
    """Measures a request into `path`."""

    def __init__(
        self,
        request: StreamRequest,
        path: Path,
        say: Callable[[str], None] = lambda _: None,
        *,
        progress: bool = False,
        clock: Callable[[], float] = time.monotonic,
        command: Sequence[str] = MEASURING_PROCESS,
    ) -> None:
        self.request = request
        self.path = path
        self.say = say
        self.progress = progress  # the measuring processes' own lines
        self.clock = clock
        self.command = list(command)
        self.budget = Budget()
        self.pass0_measured: list[dict[str, Any]] = []  # pass 0's records of cells streamed
        self.document: dict[str, Any] = {
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "tool_version": __version__,
            "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "complete": False,
            "request": asdict(self.request),
            "cells": [],
        }
        self.cells: dict[tuple[str, str, float, int], dict[str, Any]] = {}

    def run(self) -> int:
        """0 done, 130 interrupted (what was measured is in the file)."""
        self.start()
        for pass_index in range(self.request.processes):
            if self.run_pass(pass_index) == INTERRUPTED:
                return INTERRUPTED
        self.finish()
        return 0

    def start(self) -> None:
        """Lays out every cell (refused ones `skipped` at once) and says the plan."""
        for cell in self.request.cells():
            entry = cell | {
                "status": "pending",
                "reason": refusal(cell, self.request),
                "processes": [],
            }
            if entry["reason"]:
                entry["status"] = "skipped"
            self.cells[key(cell)] = entry
            self.document["cells"].append(entry)
        self.started = self.clock()
        self._say_plan()

    def run_pass(self, pass_index: int) -> int:
        """Streams one pass (pass 0 settles what it can); 0, or 130 interrupted."""
        todo = self._todo(pass_index)
        if pass_index:
            random.Random(self.request.seed + pass_index).shuffle(todo)
        status = self._pass(pass_index, todo)
        if pass_index == 0:
            settle(self.cells.values(), self.request.processes)
        self._write()
        return status

    def finish(self) -> None:
        self.document["complete"] = True
        self._write()

    def _todo(self, pass_index: int) -> list[dict[str, Any]]:
        """Pass 0: every cell not refused; later passes: the measured cells not settled."""
        wanted = ("pending",) if pass_index == 0 else ("ok",)
        return [c for c in self.cells.values() if c["status"] in wanted and not c.get("settled")]

    def _left_s(self, pass_index: int) -> float:
        """What is left: this pass's cells not streamed yet, and every open cell
        (measured or not, not settled) once a later pass. In pass 0 an upper
        bound: pruning and settling only take cells away."""
        open_cells = [
            c
            for c in self.cells.values()
            if c["status"] in ("pending", "ok")
            and not c.get("settled")
            and settles(c, self.request.processes) is None
        ]
        this_pass = [c for c in open_cells if all(p["pass"] != pass_index for p in c["processes"])]
        later = self.request.processes - pass_index - 1
        return self.budget.seconds([this_pass, *[open_cells] * later])

    def _say_plan(self) -> None:
        cells = self._todo(0)
        refused = len(self.cells) - len(cells)
        self.say(
            f"stream: {len(cells)} cells ({refused} refused without a run), "
            f"{len({c['strategy'] for c in cells})} processes a pass, up to "
            f"{self.request.processes} passes: about {minutes(self._left_s(0))} of frames "
            f"{self.budget.startup_text()} (less where pass 0 prunes or settles a cell)"
        )

    def _pass(self, pass_index: int, todo: list[dict[str, Any]]) -> int:
        """Each strategy's cells in a fresh process (pass 0 prunes, lightest first)."""
        by_strategy: dict[str, list[dict[str, Any]]] = {}
        for cell in todo:
            by_strategy.setdefault(cell["strategy"], []).append(cell)
        for number, (name, cells) in enumerate(by_strategy.items()):
            left = cells
            while left:
                status, left = self._launch(pass_index, left)
                self._write()
                if status == INTERRUPTED:
                    return INTERRUPTED
            self.say(
                f"stream: pass {pass_index}, {name} done ({number + 1}/{len(by_strategy)}): "
                f"{minutes(self.clock() - self.started)} so far, about "
                f"{minutes(self._left_s(pass_index))} left ({self.budget.startup_text()})"
            )
        return 0

    def _launch(
        self, pass_index: int, cells: list[dict[str, Any]]
    ) -> tuple[int, list[dict[str, Any]]]:
        """Streams `cells` in one process: its exit status and the cells it left."""
        with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as out:
            out_path = Path(out.name)
        fields = ("strategy", "resolution", "fps", "depth", "duration_s")
        spec = {
            "cells": [{name: cell[name] for name in fields} for cell in cells],
            "seed": self.request.seed + pass_index,
            "out": str(out_path),
            "prune": pass_index == 0,
            "deeper_if_needed": self.request.deeper_if_needed,
            "progress": self.progress,
        }
        launched = self.clock()
        try:
            # On the run's caller CPUs (this thread only waits there meanwhile).
            with starting_caller():
                process = subprocess.run(
                    self.command, input=json.dumps(spec), text=True, check=False
                )
            status = process.returncode
        except KeyboardInterrupt:
            status = INTERRUPTED
        lines = out_path.read_text().splitlines()
        out_path.unlink(missing_ok=True)
        records = [json.loads(line) for line in lines]
        if pass_index == 0:
            self.pass0_measured += [r for r in records if r["status"] != "skipped"]
        if status == 0:
            self.budget.note_process(self.clock() - launched, [_timing(r) for r in records])
        for record in records:
            self._merge(pass_index, record)
        left = cells[len(lines) :]
        if status in (0, INTERRUPTED) or not left:
            return status, []
        died = left[0]
        self._fail(died, f"pass {pass_index}: the measuring process died (exit {status})")
        if pass_index:
            return status, left[1:]
        # What this pass measured before (in this process and any earlier one that
        # died), as the dead process's own pruner knew it, and the death itself.
        pruner = Pruner(self.request.deeper_if_needed)
        for record in [*self.pass0_measured, died]:
            pruner.note(record)
        rest = []
        for cell in left[1:]:
            why = pruner.reason(cell)
            if why is None:
                rest.append(cell)
            else:
                cell.update(status="skipped", reason=why)
        return status, rest

    def _merge(self, pass_index: int, record: dict[str, Any]) -> None:
        cell = self.cells[key(record)]
        if record["status"] == "skipped":
            cell.update(status="skipped", reason=record["reason"])
            return
        if record["status"] != "ok":
            self._fail(cell, f"pass {pass_index}: {record['reason']}", record["status"])
            return
        process = {k: v for k, v in record.items() if k not in ("status", "reason", "wall_s")}
        cell["processes"].append(process | {"pass": pass_index})
        cell["status"] = "ok"
        cell["stats"] = summarize(cell["processes"], float(cell["fps"]))
        stopped = f" ({record['stopped']})" if record.get("stopped") else ""
        self.say(
            f"stream: {cell['strategy']} {cell['resolution']} {cell['fps']:g} fps depth "
            f"{cell['depth']}: {cell['stats']['verdict']}{stopped}"
        )

    def _fail(self, cell: dict[str, Any], reason: str, status: str = "error") -> None:
        cell.update(status=status, reason=reason, processes=[], stats=None)

    def _write(self) -> None:
        results_file.write_atomic(self.path, self.document)


def _timing(record: dict[str, Any]) -> tuple[float, float, bool]:
    """A cell record's (duration, wall time in its process, whether it streamed it all)."""
    whole = record["status"] == "ok" and not record.get("stopped")
    return float(record["duration_s"]), float(record.get("wall_s", 0.0)), whole


def settles(cell: dict[str, Any], processes: int) -> str | None:
    """Why a cell measured in pass 0 needs no later pass, or None: it cannot keep
    up, or its one process missed so many frames (at least `processes` x
    CARRIES_MISSED_SHARE of them) that the mean share over `processes` processes,
    and so the upper end of its interval, cannot fall under CARRIES_MISSED_SHARE:
    no later pass can make it carry the rate. Never the floor: every strategy's
    tail is read against its interval."""
    stats = cell.get("stats")
    if cell["status"] != "ok" or len(cell["processes"]) != 1 or not stats:
        return None
    if cell["strategy"] == KERNEL:
        return None
    (process,) = cell["processes"]
    share = process["missed"] / max(process["frames"], 1)
    if stats["verdict"] == CANNOT_KEEP_UP:
        how = process.get("stopped") or f"{process['achieved_fps']:.1f} fps achieved"
    elif share >= processes * CARRIES_MISSED_SHARE:
        how = (
            f"{share:.1%} of its frames missed: the mean over {processes} processes "
            f"stays at {CARRIES_MISSED_SHARE:.0%} or more"
        )
    else:
        return None
    return f"one process, settled in pass 0 ({how})"


def alternate(sides: list[StreamRun], passes: int, say: Callable[[str], None]) -> int:
    """`ab-stream`'s sides: every pass on each, neither always first (the first side
    leads the even passes), a cell settled by pass 0 only where all settled it; 0,
    or 130 interrupted."""
    for side in sides:
        side.start()
    for index in range(passes):
        order = sides if index % 2 == 0 else sides[::-1]
        for side in order:
            if side.run_pass(index) == INTERRUPTED:
                return INTERRUPTED
        if index == 0:
            unsettled = settle_on_all([side.cells for side in sides])
            if unsettled:
                say(f"{unsettled} cells settled on one side only: both stream them on")
    for side in sides:
        side.finish()
    return 0


def settle_on_all(runs: Sequence[dict[Any, dict[str, Any]]]) -> int:
    """Keep a cell settled only where every run's pass 0 settled it (`ab-stream`'s
    sides, `runs` their cells by key), so that all stream the same cells in later
    passes; the count of cells unsettled."""
    unsettled = 0
    for cell_key in runs[0]:
        cells = [run[cell_key] for run in runs if cell_key in run]
        if any(c.get("settled") for c in cells) and not all(c.get("settled") for c in cells):
            unsettled += 1
            for cell in cells:
                cell.pop("settled", None)
    return unsettled


def settle(cells: Iterable[dict[str, Any]], processes: int) -> None:
    """Mark the cells pass 0 settles: later passes do not stream them."""
    for cell in cells:
        why = settles(cell, processes)
        if why is not None:
            cell["settled"] = why
