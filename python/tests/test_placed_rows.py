"""Placed rows: a cross-process strategy measured again pinned, as name@placement
rows of an unpinned run. What the request holds, where a row's worker and its
caller's turns run (read back from the kernel, no timing), what the file and
its readers say, and the errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from built_baseline import baseline_without
from runner_helpers import cell, run_in_process
from test_placement import allowed_list, needs_two_cpus

from interop_bench import cli, results_file, strategies, verify
from interop_bench.analysis.load import load
from interop_bench.analysis.summary import render
from interop_bench.runner import baseline, placed_rows, placement, plan
from interop_bench.runner.placement import Cpu, Placement, PlacementError
from interop_bench.runner.plan import PlanError
from interop_bench.runner.request import new as new_request
from interop_bench.runner.request import stored as stored_request
from interop_bench.runner.request import without_placed_rows
from interop_bench.strategies._transport.placement import CPUS_VARIABLE
from interop_bench.strategies.numpy import NumpyStrategy

BOUND = ("pipe", "shm-futex", "tcp")  # ipc, ipc, network
KNOWN = ("capi", *BOUND)


def test_row_names_split_into_strategy_and_placement() -> None:
    assert placed_rows.row("pipe", "same-core") == "pipe@same-core"
    assert placed_rows.base("pipe@same-core") == "pipe"
    assert placed_rows.placement_of("pipe@same-core") == "same-core"
    assert placed_rows.base("pipe") == "pipe"
    assert placed_rows.placement_of("pipe") is None


def test_the_flag_takes_pinned_placements_or_none() -> None:
    assert placed_rows.parse("same-core, other-core") == ("same-core", "other-core")
    assert placed_rows.parse("none") == ()
    with pytest.raises(PlacementError, match="'os' is not a pinned placement"):
        placed_rows.parse("os")
    with pytest.raises(PlacementError, match="'far' is not a pinned placement"):
        placed_rows.parse("same-core,far")
    with pytest.raises(PlacementError, match="is empty"):
        placed_rows.parse(",")


def test_an_unpinned_default_run_has_the_rows_of_its_placement_bound_strategies() -> None:
    request = new_request(KNOWN, profile="default", placement_rows="same-core")
    assert request.placed == ("pipe@same-core", "shm-futex@same-core", "tcp@same-core")
    assert request.placed_sizes == plan.AXES["default"].placed_sizes
    keys = request.cell_keys()
    rows = {(n, label, size) for n, label, size in keys if "@" in n}
    # Float64 sum only, at the placed sizes only, in the groups of the plain rows.
    assert {(label, size) for _, label, size in rows} == {
        ("sum", size) for size in request.placed_sizes
    }
    assert len(rows) == 3 * len(request.placed_sizes)
    assert keys.index(("pipe@same-core", "sum", 1)) > keys.index(("pipe", "sum", 1))
    assert keys.index(("pipe@same-core", "sum", 1)) < keys.index(("kernel", "sum", 1))


def test_the_profile_decides_the_rows_unless_the_flag_does() -> None:
    default = new_request(KNOWN, profile="default")
    offered = placement.available(placement.read_topology(), os.sched_getaffinity(0))
    expected = [p for p in plan.AXES["default"].placement_rows if p in offered]
    assert [p.name for p in default.row_placements] == expected
    assert new_request(KNOWN, profile="quick").placed == ()
    assert new_request(KNOWN, profile="default", placement_rows="none").placed == ()
    # Sizes the run does not measure have no rows; a run without float64 sum has none.
    assert new_request(KNOWN, sizes="1e3,1e6", placement_rows="same-core").placed == ()
    assert new_request(KNOWN, ops_wanted="scale", placement_rows="same-core").placed == ()
    assert new_request(KNOWN, dtypes="int32", placement_rows="same-core").placed == ()
    only_small = new_request(KNOWN, sizes="1,1e3", placement_rows="same-core")
    assert only_small.placed_sizes == (1,)


def test_a_pinned_run_has_no_rows_and_refuses_the_flag() -> None:
    assert new_request(KNOWN, profile="default", placement="same-core").placed == ()
    with pytest.raises(PlanError, match="pinned as a whole"):
        new_request(KNOWN, placement="same-core", placement_rows="same-core")
    # none with a pinned run says nothing contradictory.
    assert new_request(KNOWN, placement="same-core", placement_rows="none").placed == ()


def test_the_request_keeps_its_rows_through_the_file() -> None:
    request = new_request(KNOWN, profile="default", placement_rows="same-core")
    again = stored_request(request.as_json())
    assert again.placed == request.placed
    assert again.placed_sizes == request.placed_sizes
    assert again.row_placements == request.row_placements
    assert again.cell_keys() == request.cell_keys()


def test_a_resumed_run_shares_its_budget_over_the_same_cells() -> None:
    # --cell-budget: the run's budget is the cell budget times the cells, placed
    # rows included, whether the request is new or read back from the file.
    request = new_request(KNOWN, profile="default", cell_budget_s=30.0)
    again = stored_request(request.as_json())
    assert request.strategy_cell_count > len(KNOWN) * len(request.groups())
    assert again.profile.run_budget_s == request.profile.run_budget_s
    assert request.profile.run_budget_s == 30.0 * request.strategy_cell_count


def test_a_run_from_before_placed_rows_reads_without_them() -> None:
    block = new_request(KNOWN, profile="default").as_json()
    del block["placement_rows"]
    assert stored_request(block).placed == ()


@needs_two_cpus
def test_a_rows_worker_starts_on_its_worker_cpus_and_the_run_stays_unpinned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CPUS_VARIABLE, raising=False)
    other = placement.resolve("other-core")
    assert other.cpus is not None
    strategy = strategies.get("pipe")
    try:
        caller = placed_rows.open_pinned(strategy, "pipe@other-core")
        [pid] = strategy.worker_pids()
        assert allowed_list(pid) == str(other.cpus.worker[0])
        assert caller == other.cpus.caller
    finally:
        strategy.close()
    assert CPUS_VARIABLE not in os.environ  # the next strategy's workers start unpinned
    plain = strategies.get("pipe")
    try:
        assert placed_rows.open_pinned(plain, "pipe") is None
        [pid] = plain.worker_pids()
        assert allowed_list(pid) == allowed_list(os.getpid())
    finally:
        plain.close()


class AffinityRecorder(NumpyStrategy):
    """numpy, noting the CPUs its caller may run on at every sum."""

    name = "recorder"
    seen: list[frozenset[int]]
    placed: bool  # opened for a placed row: its workers would start pinned
    opened_on: frozenset[int]  # where a thread it started at open would run

    def _open(self) -> None:
        self.seen = []
        self.placed = CPUS_VARIABLE in os.environ
        self.opened_on = frozenset(os.sched_getaffinity(0))
        made.append(self)

    def sum(self, a: np.ndarray) -> float:
        self.seen.append(frozenset(os.sched_getaffinity(0)))
        return super().sum(a)


made: list[AffinityRecorder] = []


def recorded_run(tmp_path: Path, sizes: tuple[int, ...]) -> tuple[dict[str, Any], Placement]:
    """The recorder measured in process at `sizes` of sum, with its same-core row at 1."""
    same = placement.resolve("same-core")
    document = run_in_process(
        tmp_path / "run.json",
        ("recorder",),
        ("sum",),
        sizes,
        factories={"recorder": AffinityRecorder},
        placed=(("recorder@same-core",), (1,), (same,)),
    )
    return document, same


@needs_two_cpus
def test_a_rows_turns_run_on_its_caller_cpus_and_the_plain_rows_turns_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CPUS_VARIABLE, raising=False)
    made.clear()
    everywhere = frozenset(os.sched_getaffinity(0))
    document, same = recorded_run(tmp_path, (1, 1000))
    assert cell(document, "recorder@same-core", "sum", 1)["status"] == "ok"
    assert not [c for c in document["cells"] if c["strategy"] == "recorder@same-core"][1:]
    by_row: dict[bool, set[frozenset[int]]] = {True: set(), False: set()}
    for instance in made:
        by_row[instance.placed].update(instance.seen)
    assert len(made) == 2 * 3  # both rows in each of the 3 passes
    assert by_row[True] == {frozenset(same.cpus.caller)}
    assert {i.opened_on for i in made if i.placed} == {frozenset(same.cpus.caller)}
    assert {i.opened_on for i in made if not i.placed} == {everywhere}
    assert by_row[False] == {everywhere}
    assert os.sched_getaffinity(0) == everywhere  # restored after every turn


@needs_two_cpus
def test_verify_times_a_placed_row_pinned_as_the_file_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CPUS_VARIABLE, raising=False)
    monkeypatch.setenv(strategies.EXTRA_VARIABLE, f"recorder={__name__}:AffinityRecorder")
    document, same = recorded_run(tmp_path, (1,))
    document["strategies"] = {
        "recorder": {"family": "ipc"},
        "recorder@same-core": {"family": "ipc", "row_of": "recorder", "placement": same.as_json()},
    }
    path = tmp_path / "placed.json"
    results_file.write_atomic(path, document)
    made.clear()
    checks = verify.run(load(path), verify.Options(rounds=3), target_ns=100_000)
    assert {c.cell.strategy for c in checks if c.error is None} == {
        "recorder",
        "recorder@same-core",
    }
    [placed] = [instance for instance in made if instance.placed]
    assert set(placed.seen) == {frozenset(same.cpus.caller)}
    assert placed.opened_on == frozenset(same.cpus.caller)
    [plain] = [instance for instance in made if not instance.placed]
    assert set(plain.seen) == {frozenset(os.sched_getaffinity(0))}


@needs_two_cpus
@pytest.mark.slow
def test_a_run_records_its_rows_and_summary_and_report_name_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(CPUS_VARIABLE, raising=False)
    out = tmp_path / "run.json"
    flags = ["--strategies", "pipe,capi", "--ops", "sum", "--sizes", "1,1e3", "--quiet"]
    flags += ["--profile", "quick", "--processes", "1", "--no-instructions"]
    flags += ["--placement-rows", "same-core,other-core"]
    assert cli.main(["run", *flags, "--out", str(out)]) == 0
    document = results_file.load(out)
    results_file.check(document)
    ok = {(c["strategy"], c["size"]) for c in document["cells"] if c["status"] == "ok"}
    assert {("pipe@same-core", 1), ("pipe@other-core", 1)} <= ok
    assert not any("@" in name and size != 1 for name, size in ok)
    facts = document["strategies"]
    assert facts["pipe@other-core"]["row_of"] == "pipe"
    assert facts["pipe@other-core"]["family"] == "ipc"
    assert facts["pipe@other-core"]["placement"] == placement.resolve("other-core").as_json()
    assert "capi@same-core" not in facts
    text = render(load(out), "text")
    assert "placed rows: the ipc and network strategies again" in text
    [row] = [line for line in text.splitlines() if "pipe@other-core" in line]
    assert "pinned row: small sizes only" in row


def test_a_baseline_from_before_placed_rows_is_found_and_the_rows_can_be_dropped(
    tmp_path: Path,
) -> None:
    old = baseline_without(tmp_path, placed_rows.__name__)
    with pytest.raises(baseline.BaselineError, match="predates placed rows"):
        old.check_module(placed_rows.__name__, "placed rows")
    request = new_request(KNOWN, profile="default", placement_rows="same-core")
    plain = new_request(KNOWN, profile="default", placement_rows="none")
    assert without_placed_rows(request).cell_keys() == plain.cell_keys()
    assert without_placed_rows(request).as_json() == plain.as_json()


def test_a_placement_the_machine_cannot_provide_is_left_out_with_its_reason() -> None:
    one_cpu = (Cpu(0, 0, 0, (0,)),)
    chosen, missing = placed_rows.available(("same-core", "other-core"), one_cpu, {0})
    assert [p.name for p in chosen] == ["same-core"]
    [why] = missing
    assert "cannot provide placement other-core" in why
