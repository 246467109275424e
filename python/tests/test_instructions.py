"""Instruction counts under Valgrind: counted, deterministic, honest about what cannot be."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from results_factory import make_results

from interop_bench import cli, strategies
from interop_bench.runner import instructions

pytestmark = pytest.mark.slow

needs_valgrind = pytest.mark.skipif(
    shutil.which("valgrind") is None, reason="Valgrind is not installed (make deps installs it)"
)


@needs_valgrind
def test_counts_are_positive_deterministic_and_grow_with_the_work() -> None:
    keys = [("capi", "sum", 1), ("capi", "sum", 1000), ("numpy", "sum", 1)]
    first = instructions.count(keys, seed=0)
    again = instructions.count(keys, seed=0)
    assert first == again  # the same binary, inputs and layouts: the same instructions
    assert set(first) == set(keys)
    assert 0 < first[("capi", "sum", 1)] < first[("capi", "sum", 1000)]
    # The C API call is the cheapest way in; NumPy's dispatch costs many times more.
    assert first[("numpy", "sum", 1)] > 3 * first[("capi", "sum", 1)]


def test_every_strategy_says_whether_it_can_be_counted() -> None:
    for name in strategies.names():
        cls = strategies.strategy_class(name)
        if cls.family in ("ipc", "network"):
            assert "worker process" in cls.uncountable, name
        elif name != "json-fast":
            assert cls.uncountable == "", name


def test_uncountable_cells_say_why_in_the_file() -> None:
    document = make_results(strategies=["capi", "json"], ops=["sum"], sizes=[1, 1000])
    counts = {("capi", "sum", 1): 990.0}
    instructions.record(document, counts)
    by_key = {(c["strategy"], c["size"]): c.get("instructions") for c in document["cells"]}
    assert by_key[("capi", 1)]["per_call"] == 990.0  # type: ignore[index]
    assert by_key[("json", 1)] == {"per_call": None, "reason": "the counting process skipped it"}
    assert by_key[("kernel", 1)] is None  # the floors are not counted


def test_without_valgrind_run_refuses_before_measuring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / "run.json"
    status = cli.main(["run", "--strategies", "capi", "--instructions", "--out", str(out)])
    assert status == 2
    assert "needs Valgrind" in capsys.readouterr().err
    assert not out.exists()  # nothing half-written
