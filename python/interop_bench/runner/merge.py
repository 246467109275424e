"""Pass records into the results document: cells across processes, their statistics.

A cell of the document holds every process that measured it (`processes`, in
pass order, each with its median and its rounds) and the pooled raw samples;
its statistics are recomputed from them whenever a pass adds to it, so a file
interrupted after three of five passes is a valid file whose intervals rest on
three processes. A cell whose check failed, or which raised, in any process
ends with that status: a strategy that breaks one time in five is broken.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from interop_bench import intervals, results_file
from interop_bench.results_file import FLOORS, KERNEL, MEASURED
from interop_bench.runner import stats
from interop_bench.strategies.base import CROSS_PROCESS_FAMILIES

Record = dict[str, Any]
Key = tuple[str, str, int]  # (strategy, label, size)
MIN_PAIRED_ROUNDS = 5  # see _process_pair


def read_pass_file(path: Path) -> Iterator[Record]:
    """The records of a pass file; a last line cut short by a kill is dropped."""
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return
    for line in lines:
        try:
            yield json.loads(line)
        except ValueError:
            continue


def cell_key(record: Record) -> Key:
    return (str(record["strategy"]), str(record["op"]), int(record["size"]))


class Merger:
    """Adds pass records to `document` (its `cells` and `passes`)."""

    def __init__(self, document: results_file.Document) -> None:
        self.document = document
        self.cells: dict[Key, Record] = {cell_key(c): c for c in document["cells"]}

    def add(self, records: Iterable[Record], launch: Record | None = None) -> list[Key]:
        """Merge the records of one process launch; the keys of the cells it touched.
        `launch` is the parent's entry for the process (pass, exit status, times)."""
        launch = {} if launch is None else launch
        touched: list[Key] = []
        for record in records:
            kind = record.get("type")
            if kind == "cell":
                if self._add_cell(record):
                    touched.append(cell_key(record))
            elif kind == "start":
                launch.update(pid=record["pid"], timer=record["timer"], noise_start=record["noise"])
            elif kind == "end":
                launch["noise_end"] = record["noise"]
            elif kind == "group":
                group = {k: v for k, v in record.items() if k not in ("type", "pass")}
                launch.setdefault("groups", []).append(group)
        if "pass" in launch:
            self.document.setdefault("passes", []).append(launch)
        one_per_group = {(op, size): (name, op, size) for name, op, size in touched}
        for key in one_per_group.values():
            self.refresh(key)
        return touched

    def _add_cell(self, record: Record) -> bool:
        key = cell_key(record)
        cell = self.cells.get(key)
        if cell is None:
            cell = _new_cell(record)
            self.cells[key] = cell
            self.document["cells"].append(cell)
        elif cell["status"] not in MEASURED:
            return False  # final already (the planner does not ask twice)
        if record["status"] != "ok":
            _end_with(cell, record)
            return True
        if any(p["pass"] == record["pass"] for p in cell["processes"]):
            return False  # this pass is in already (a pass file merged twice)
        # In pass order, the pooled samples too (a resumed run may fill a gap).
        processes = cell["processes"]
        index = sum(1 for p in processes if p["pass"] < record["pass"])
        offset = sum(p["samples"] for p in processes[:index])
        processes.insert(index, _process_entry(record))
        cell["samples_ns"][offset:offset] = record["samples_ns"]
        if record.get("memory") is not None:
            peak = record["memory"]["peak_bytes"]
            cell["memory_peak_bytes"] = peak
            cell["memory_payload_ratio"] = peak / cell["bytes"] if peak is not None else None
            cell["memory_note"] = record["memory"]["note"]
            cell["phases_ns"] = record["phases_ns"]
            cell["reason"] = record["reason"]
        return True

    def refresh(self, key: Key) -> None:
        """Recompute the statistics of every cell of the key's (op, size) group:
        they share the kernel they divide by and the machine's speed per pass."""
        _, op, size = key
        group = [c for c in self.cells.values() if (c["op"], c["size"]) == (op, size)]
        kernel = self.cells.get((KERNEL, op, size))
        shifts = intervals.pass_shifts(
            [
                {p["pass"]: p["median_ns"] for p in c["processes"]}
                for c in group
                if c["status"] == "ok"
            ]
        )
        spacing = self._spacing(group)
        if spacing is None:  # the size's other labels ran in the same passes, minutes apart
            spacing = self._spacing([c for c in self.cells.values() if c["size"] == size])
        # The floors first: the strategies' overhead and ratio read the kernel's statistics.
        group.sort(key=lambda c: c["strategy"] not in FLOORS)
        target_ns = results_file.sample_target_ns(self.document.get("request"))
        for cell in group:
            divide_by = None if cell["strategy"] in FLOORS else kernel
            pooled = Fastest(spacing) if self._in_one_process(cell) else None
            _set_stats(cell, divide_by, shifts, pooled)
            _judge_sampling(cell, target_ns)

    def _spacing(self, cells: Iterable[Record]) -> float | None:
        """The median gap between the two fastest processes of the one-process cells."""
        return intervals.group_spacing(
            [
                [p["median_ns"] for p in c["processes"]]
                for c in cells
                if c["status"] == "ok" and self._in_one_process(c)
            ]
        )

    def _in_one_process(self, cell: Record) -> bool:
        """Whether the cell's calls stay in the measuring process: its strategy's
        recorded family is not a cross-process one (unknown: treated as one that is).
        Its cells take their fastest process, the others the mean (intervals.py)."""
        facts = self.document.get("strategies", {}).get(cell["strategy"])
        return facts is not None and facts.get("family") not in CROSS_PROCESS_FAMILIES


@dataclass(frozen=True)
class Fastest:
    """A one-process cell's estimate is its fastest process, with the group's
    median spacing (intervals.group_spacing), or its size's when the group has
    too few one-process cells (None when the size has too few too)."""

    group_spacing: float | None


# What names a cell besides strategy, op (its label), size and bytes: written by
# the dtype-axis runner (runner/workload.py identity), absent from older pass files.
IDENTITY_EXTRAS = ("dtype", "resolution", "width", "height")


def _new_cell(record: Record) -> Record:
    return {
        "strategy": record["strategy"],
        "op": record["op"],
        **{name: record[name] for name in IDENTITY_EXTRAS if name in record},
        "size": record["size"],
        "bytes": record["bytes"],
        "status": "ok",
        "reason": None,
        "stats": None,
        "samples_ns": [],
        "processes": [],
        "memory_peak_bytes": None,
        "memory_payload_ratio": None,
        "memory_note": None,
        "phases_ns": None,
    }


def _end_with(cell: Record, record: Record) -> None:
    """A check that failed, a raise or a skip ends the cell, whatever other passes saw."""
    earlier = len(cell["processes"])
    reason = str(record["reason"])
    if earlier:
        reason = f"in pass {record['pass']} (after {earlier} good): {reason}"
    cell.update(status=record["status"], reason=reason, stats=None, samples_ns=[], processes=[])
    cell.update(memory_peak_bytes=None, memory_payload_ratio=None, memory_note=None, phases_ns=None)


def _process_entry(record: Record) -> Record:
    samples = record["samples_ns"]
    rounds, start = [], 0
    for count in record["rounds"]:
        chunk = samples[start : start + count]
        start += count
        if chunk:
            rounds.append({"samples": len(chunk), "median_ns": float(median(chunk))})
    return {
        "pass": record["pass"],
        "samples": len(samples),
        "median_ns": float(median(samples)),
        "calls_per_sample": record["calls_per_sample"],
        "shortest_sample_ns": record.get("shortest_sample_ns"),
        "short_samples": record.get("short_samples", 0),
        "stop_reason": record["stop_reason"],
        "rounds": rounds,
        "wall_ns": record.get("wall_ns"),
    }


def _judge_sampling(cell: Record, target_ns: int) -> None:
    """A measured cell whose samples break the sampling rule becomes
    `miscalibrated`, with the rule's reason; it keeps its statistics."""
    if cell["status"] not in MEASURED:
        return
    breach = results_file.sampling_rule_breach(cell["processes"], target_ns)
    if breach is not None:
        cell.update(status="miscalibrated", reason=breach)


def _set_stats(
    cell: Record, kernel: Record | None, shifts: dict[int, float], fastest: Fastest | None
) -> None:
    if cell["status"] not in MEASURED or not cell["processes"]:
        return
    processes = cell["processes"]
    pooled = stats.summarize(cell["samples_ns"])
    medians = [p["median_ns"] for p in processes]
    if fastest is not None and intervals.spacing(medians) is not None:
        estimate = intervals.fastest_process_estimate(medians, fastest.group_spacing)
    else:
        rounds = [r["median_ns"] for r in processes[0]["rounds"]] if len(processes) == 1 else []
        estimate = intervals.cell_estimate(
            {p["pass"]: p["median_ns"] for p in processes},
            rounds,
            (pooled["median_ns"], pooled["ci_low_ns"], pooled["ci_high_ns"]),
            shifts,
        )
    center = estimate.center
    summary: dict[str, Any] = {
        **pooled,
        "median_ns": center,
        "ci_low_ns": estimate.low,
        "ci_high_ns": estimate.high,
        "interval": estimate.basis,
        "processes": len(processes),
        "process_spread": estimate.spread,
        "speed_spread": estimate.speed_spread,
        "log_standard_error": estimate.log_standard_error,
        "samples": len(cell["samples_ns"]),
        "calls_per_sample": max(p["calls_per_sample"] for p in processes),
        "stop_reason": Counter(p["stop_reason"] for p in processes).most_common(1)[0][0],
        "throughput_bytes_per_s": stats.throughput_per_s(cell["bytes"], center),
        "throughput_elements_per_s": stats.throughput_per_s(cell["size"], center),
    }
    summary.update(_versus_kernel(cell, kernel, center))
    cell["stats"] = summary


def _versus_kernel(cell: Record, kernel: Record | None, center: float) -> dict[str, Any]:
    """overhead_ns and kernel_ratio (with its interval) against the kernel alone
    measured in the same processes; nulls without an ok kernel cell."""
    nothing = {
        "overhead_ns": None,
        "kernel_ratio": None,
        "kernel_ratio_ci_low": None,
        "kernel_ratio_ci_high": None,
    }
    if kernel is None or kernel["status"] != "ok" or not kernel["stats"]:
        return nothing
    kernel_by_pass = {p["pass"]: p for p in kernel["processes"]}
    pairs = [
        _process_pair(p, kernel_by_pass[p["pass"]])
        for p in cell["processes"]
        if p["pass"] in kernel_by_pass
    ]
    if not pairs:
        return nothing
    paired = intervals.paired_log_ratio([n for n, _ in pairs], [d for _, d in pairs])
    kernel_ns = float(kernel["stats"]["median_ns"])
    if paired is None:
        ratio = pairs[0][0] / pairs[0][1] if pairs[0][1] > 0 else None
        low = high = None
    else:
        ratio, low, high = paired.center, paired.low, paired.high
    return {
        "overhead_ns": center - kernel_ns,
        "kernel_ratio": ratio,
        "kernel_ratio_ci_low": low,
        "kernel_ratio_ci_high": high,
    }


def _process_pair(cell: Record, kernel: Record) -> tuple[float, float]:
    """A cell's process and the kernel's in the same process, as (numerator,
    denominator) of their ratio. Turn j of every cell of a group falls in round j
    of the group (the cells take one turn each per round), so their round
    medians pair up seconds apart: the median of the per-round ratios cancels
    what drifts within the process (a neighbour's burst of memory traffic moved a
    process's medians by 15% at 80 MB), where the ratio of process medians does
    not. With fewer than MIN_PAIRED_ROUNDS rounds in common (a cell that stopped
    early, a large one with a sample a round), the process medians: a median of
    two or three single-sample rounds is noisier than the process's own."""
    rounds = [
        (mine["median_ns"], floor["median_ns"])
        for mine, floor in zip(cell["rounds"], kernel["rounds"], strict=False)
        if mine["median_ns"] > 0 and floor["median_ns"] > 0
    ]
    if len(rounds) < MIN_PAIRED_ROUNDS:
        return cell["median_ns"], kernel["median_ns"]
    return median(mine / floor for mine, floor in rounds), 1.0
