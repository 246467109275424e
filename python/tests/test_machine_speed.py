"""The machine's speed during a run, from its cells' pass medians: two speeds
are told from a steady or a drifting machine, and summary, compare and the
report say which, beside the intervals it left."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from results_factory import make_results, write_results

from interop_bench import cli
from interop_bench.analysis import machine_speed
from interop_bench.analysis.load import load
from interop_bench.report.environment import rows as environment_rows

STRATEGIES = ("numpy", "capi", "pybind11", "ctypes", "json", "shm", "pipe", "tcp", "grpc")
SIZES = (1, 1000, 100_000, 1_000_000)
RUN_SIZES = (1, 10, 1000, 10_000, 100_000, 1_000_000)  # 12 groups of 5 passes with 2 ops


def run_file(tmp_path: Path, name: str, slow: float = 1.0, slow_share: float = 0.0) -> Path:
    """A synthetic run whose passes' groups ran `slow` times slower in a random
    `slow_share` of the (pass, group)s: a VM alternating between two speeds."""
    document = make_results(strategies=STRATEGIES, ops=("sum", "scale"), sizes=RUN_SIZES)
    rng = np.random.default_rng(7)
    groups = {(c["op"], c["size"]) for c in document["cells"]}
    slowed = {(g, p) for g in sorted(groups) for p in range(5) if rng.random() < slow_share}
    for cell in document["cells"]:
        for process in cell.get("processes") or ():
            if ((cell["op"], cell["size"]), process["pass"]) in slowed:
                process["median_ns"] *= slow
    return write_results(tmp_path / f"{name}.json", document)


def test_two_speeds_are_found_with_their_ratio_and_share(tmp_path: Path) -> None:
    speed = machine_speed.of(load(run_file(tmp_path, "bimodal", slow=2.0, slow_share=0.35)))
    assert speed is not None and speed.two_speeds is not None
    ratio, share = speed.two_speeds
    assert ratio == pytest.approx(2.0, rel=0.1)
    assert 0.2 < share < 0.5
    assert speed.sentence().startswith("this machine alternated between two speeds 2")


def test_a_steady_machine_is_not_called_bimodal_and_its_spread_is_said(tmp_path: Path) -> None:
    speed = machine_speed.of(load(run_file(tmp_path, "steady")))
    assert speed is not None and speed.two_speeds is None
    assert speed.spread < 1.2
    assert "speed varied by 1.0" in speed.sentence() or "speed varied by 1.1" in speed.sentence()
    assert "intervals are ±" in speed.sentence()


def test_a_drift_without_two_clusters_is_not_called_bimodal() -> None:
    # Speeds spread evenly over 1x to 2x: wide, but not two states.
    logs = sorted(math.log(1 + i / 99) for i in range(100))
    assert machine_speed.two_speeds(logs) is None
    # Two tight clusters 1.6x apart, a quarter slow: two states; 1.3x apart: a spread.
    for ratio, states in ((1.6, True), (1.3, False)):
        clustered = sorted([0.0] * 75 + [math.log(ratio)] * 25)
        found = machine_speed.two_speeds([v + 0.001 * (i % 3) for i, v in enumerate(clustered)])
        assert (found is not None) == states, ratio
        if found is not None:
            assert found[0] == pytest.approx(ratio, rel=0.01)
            assert found[1] == pytest.approx(0.25)


def test_a_rare_slow_spell_is_not_a_second_speed() -> None:
    logs = sorted([0.0] * 95 + [math.log(2.0)] * 5)
    assert machine_speed.two_speeds([v + 0.001 * (i % 3) for i, v in enumerate(logs)]) is None


def test_one_process_or_few_groups_say_nothing(tmp_path: Path) -> None:
    document: dict[str, Any] = make_results(
        strategies=STRATEGIES, ops=("sum",), sizes=SIZES, processes=1
    )
    path = write_results(tmp_path / "one.json", document)
    assert machine_speed.of(load(path)) is None
    # 4 groups of 5 passes: 20 observations, too few to tell two speeds from chance.
    few = make_results(strategies=STRATEGIES, ops=("sum",), sizes=SIZES)
    assert machine_speed.of(load(write_results(tmp_path / "few.json", few))) is None


def test_summary_compare_and_the_report_say_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bimodal = run_file(tmp_path, "bimodal", slow=2.0, slow_share=0.35)
    steady = run_file(tmp_path, "steady")
    assert cli.main(["summary", str(bimodal)]) == 0
    assert "machine: this machine alternated between two speeds" in capsys.readouterr().out
    cli.main(["compare", str(steady), str(bimodal)])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Machine speed"))
    assert "old: this machine's speed varied by" in line
    assert "new: this machine alternated between two speeds" in line
    shown = dict(environment_rows([load(bimodal)]))
    assert shown["machine speed during the run"][0].startswith("this machine alternated")


def test_compare_says_nothing_of_it_where_neither_file_can_tell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    few = make_results(strategies=("numpy", "capi"), ops=("sum",), sizes=SIZES)
    paths = [write_results(tmp_path / f"{n}.json", few) for n in ("old", "new")]
    cli.main(["compare", *map(str, paths)])
    assert "Machine speed" not in capsys.readouterr().out
    shown = dict(environment_rows([load(paths[0])]))
    assert shown["machine speed during the run"][0].startswith("not told: too few passes")
