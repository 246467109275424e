"""Pass records into cells: processes in pass order, statistics recomputed, failures final."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from interop_bench import results_file
from interop_bench.runner.merge import Merger, read_pass_file


def record(name: str, pass_index: int, samples: list[float], **extra: Any) -> dict[str, Any]:
    return {
        "type": "cell",
        "pass": pass_index,
        "strategy": name,
        "op": "sum",
        "size": 1000,
        "bytes": 8000,
        "status": "ok",
        "reason": None,
        "samples_ns": samples,
        "rounds": [len(samples)],
        "calls_per_sample": 10,
        "shortest_sample_ns": 150_000,  # keeps the sampling rule (a 100 µs target)
        "stop_reason": "ci",
        "memory": None,
        "phases_ns": None,
    } | extra


def document() -> results_file.Document:
    return results_file.new_document({}, {}, "test", datetime.now(timezone.utc))


def test_processes_stay_in_pass_order_with_their_samples() -> None:
    merger = Merger(document())
    for index in (0, 2, 1):  # a resumed run fills pass 1 last
        merger.add([record("a", index, [100.0 + index] * 3)], {"pass": index})
    (cell,) = merger.document["cells"]
    assert [p["pass"] for p in cell["processes"]] == [0, 1, 2]
    assert cell["samples_ns"] == [100.0] * 3 + [101.0] * 3 + [102.0] * 3
    assert [p["median_ns"] for p in cell["processes"]] == [100.0, 101.0, 102.0]
    stats = cell["stats"]
    assert stats["processes"] == 3 and stats["interval"] == "processes"
    assert stats["ci_low_ns"] < stats["median_ns"] < stats["ci_high_ns"]
    assert [launch["pass"] for launch in merger.document["passes"]] == [0, 2, 1]


def test_a_pass_merged_twice_counts_once() -> None:
    merger = Merger(document())
    merger.add([record("a", 0, [100.0, 101.0])], {"pass": 0})
    merger.add([record("a", 0, [100.0, 101.0])], {"pass": 0})
    (cell,) = merger.document["cells"]
    assert len(cell["processes"]) == 1 and len(cell["samples_ns"]) == 2


def test_a_failure_in_a_later_pass_ends_the_cell() -> None:
    merger = Merger(document())
    merger.add([record("a", 0, [100.0])], {"pass": 0})
    failed = record("a", 1, [], status="error", reason="RuntimeError: worker gone")
    merger.add([failed], {"pass": 1})
    merger.add([record("a", 2, [100.0])], {"pass": 2})  # ignored: the cell is final
    (cell,) = merger.document["cells"]
    assert cell["status"] == "error"
    assert cell["reason"] == "in pass 1 (after 1 good): RuntimeError: worker gone"
    assert cell["stats"] is None and cell["samples_ns"] == [] and cell["processes"] == []


def test_the_kernel_ratio_pairs_processes_of_the_same_pass() -> None:
    merger = Merger(document())
    for index, (mine, kernel) in enumerate([(200.0, 100.0), (330.0, 150.0), (180.0, 90.0)]):
        merger.add([record("a", index, [mine]), record("kernel", index, [kernel])], {"pass": index})
    cells = {c["strategy"]: c for c in merger.document["cells"]}
    stats = cells["a"]["stats"]
    ratio = (2.0 * 2.2 * 2.0) ** (1 / 3)
    assert stats["kernel_ratio"] == pytest.approx(ratio)
    assert stats["kernel_ratio_ci_low"] < ratio < stats["kernel_ratio_ci_high"]
    assert stats["overhead_ns"] == pytest.approx(
        stats["median_ns"] - cells["kernel"]["stats"]["median_ns"]
    )
    assert cells["kernel"]["stats"]["kernel_ratio"] is None  # a floor is not divided by itself


def test_memory_and_phases_come_from_the_pass_that_measured_them() -> None:
    merger = Merger(document())
    first = record(
        "a",
        0,
        [100.0],
        memory={"peak_bytes": 16000, "note": "VmHWM"},
        phases_ns={"encode": 60.0, "decode": 40.0},
    )
    merger.add([first, record("a", 1, [100.0])], {"pass": 0})
    (cell,) = merger.document["cells"]
    assert cell["memory_peak_bytes"] == 16000 and cell["memory_payload_ratio"] == 2.0
    assert cell["phases_ns"] == {"encode": 60.0, "decode": 40.0}


def test_a_pass_file_cut_short_loses_only_its_last_line(tmp_path: Path) -> None:
    path = tmp_path / "pass.jsonl"
    path.write_text('{"type": "start"}\n{"type": "cell", "pass": 0, "strat')
    assert list(read_pass_file(path)) == [{"type": "start"}]
    assert list(read_pass_file(tmp_path / "missing.jsonl")) == []


def test_the_kernel_ratio_pairs_rounds_so_drift_within_a_process_cancels() -> None:
    # The machine doubled its times between round 0 and round 1 of every process;
    # the cell took more samples in the slow round, the kernel as many in each.
    merger = Merger(document())
    for index in range(3):
        mine = record("a", index, [110.0] * 5 + [220.0] * 15, rounds=[1] * 5 + [3] * 5)
        floor = record("kernel", index, [100.0] * 5 + [200.0] * 5, rounds=[1] * 10)
        merger.add([mine, floor], {"pass": index})
    cells = {c["strategy"]: c for c in merger.document["cells"]}
    # Process medians alone would say 220 / 150 = 1.47; round by round it is 1.1.
    assert cells["a"]["stats"]["kernel_ratio"] == pytest.approx(1.1)


def test_a_process_that_broke_the_sampling_rule_makes_the_cell_miscalibrated() -> None:
    """Its statistics stay for the reader; later passes still merge; the status says why."""
    merger = Merger(document())
    merger.add([record("a", 0, [100.0, 101.0])], {"pass": 0})
    merger.add([record("a", 1, [100.0, 99.0], shortest_sample_ns=2_000)], {"pass": 1})
    merger.add([record("a", 2, [100.0, 102.0])], {"pass": 2})
    (cell,) = merger.document["cells"]
    assert cell["status"] == "miscalibrated"
    assert "pass 1: a sample of 10 call(s) lasted 2,000 ns" in cell["reason"]
    assert len(cell["processes"]) == 3 and cell["stats"]["processes"] == 3
