"""One skip decision per cell for two runs: `run --follow FILE` measures what FILE
measured and skips what FILE skipped, `ab`'s two sides follow each other, `aa`'s
second run follows its first, and a FILE that does not fit is refused.

No clock decides anything here: the skip rule is replaced by a fake that skips
the sizes a test names (as an estimate over the budget would), so a run's own
decision is known, and each test checks which decision a run took.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from results_factory import make_results, write_results
from runner_helpers import TINY, cell, shared_environment

from interop_bench import cli, results_file, strategies, verify
from interop_bench.analysis import compare_render
from interop_bench.analysis.compare import compare
from interop_bench.analysis.load import load
from interop_bench.runner import follow, plan, selection_flags
from interop_bench.runner.follow import Leader
from interop_bench.runner.passes import InProcessLauncher, PassRunner, follow_each_other
from interop_bench.runner.request import Request

SIZES = (1, 10, 1000)
REQUEST = Request(strategies=("numpy",), ops=("sum",), sizes=SIZES, profile=TINY, floors=False)
OWN_REASON = "fake estimate over the budget"


class FakeSkipRule:
    """plan.skip_reason that skips the sizes in `sizes` (set by the test as it goes)."""

    def __init__(self) -> None:
        self.sizes: set[int] = set()

    def __call__(self, *, size: int, **_: Any) -> str | None:
        return OWN_REASON if size in self.sizes else None


@pytest.fixture
def rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSkipRule]:
    fake = FakeSkipRule()
    monkeypatch.setattr(plan, "skip_reason", fake)
    yield fake


def runner(path: Path, leader: Leader | None = None) -> PassRunner:
    document = results_file.new_document(
        REQUEST.as_json(), dict(shared_environment()), "test", datetime.now(timezone.utc)
    )
    return PassRunner(REQUEST, document, path, InProcessLauncher(), follow=leader)


def leader(cells: Sequence[tuple[int, str, str | None]], name: str = "first.json") -> Leader:
    """A followed run's decisions: (size, status, reason) of numpy's sum."""
    records = [
        {"strategy": "numpy", "op": "sum", "size": size, "status": status, "reason": reason}
        for size, status, reason in cells
    ]
    return Leader({"cells": records}, name)


def statuses(document: results_file.Document) -> dict[int, tuple[str, str | None]]:
    return {int(c["size"]): (c["status"], c["reason"]) for c in document["cells"]}


def test_a_follower_measures_what_it_measured_and_skips_what_it_skipped(
    tmp_path: Path, rule: FakeSkipRule
) -> None:
    rule.sizes = {1}  # this run alone would skip size 1 and, after it, every larger size
    followed = leader([(1, "ok", None), (10, "skipped", "over the cell budget")])
    document = runner(tmp_path / "run.json", followed).run()
    got = statuses(document)
    assert got[1][0] == "ok"  # measured, as the leader did, although the own rule says skip
    assert len(cell(document, "numpy", "sum", 1)["processes"]) == REQUEST.process_count
    assert got[10] == ("skipped", "skipped as first.json did (over the cell budget)")
    # The leader lacks 1000: decided as usual, here after the skipped 10.
    assert got[1000] == ("skipped", "a smaller size (10) was already skipped")
    results_file.check(document)


def test_a_cell_the_leader_did_not_decide_is_decided_as_usual(
    tmp_path: Path, rule: FakeSkipRule
) -> None:
    rule.sizes = {10}
    followed = leader([(1, "error", "could not open"), (10, "incorrect", "sum differs")])
    got = statuses(runner(tmp_path / "run.json", followed).run())
    assert got[1][0] == "ok"
    assert got[10] == ("skipped", OWN_REASON)
    assert got[1000] == ("skipped", "a smaller size (10) was already skipped")


def alternate(sides: list[PassRunner], rule: FakeSkipRule, skips: dict[int, set[int]]) -> None:
    """Measure two sides as `ab` does (baseline, current, then current first...),
    each side drawing its own decisions from `skips` (side index -> sizes)."""
    for index in range(REQUEST.process_count):
        order = [0, 1] if index % 2 == 0 else [1, 0]
        for side in order:
            rule.sizes = skips[side]
            sides[side].run_pass(index)
    for side in sides:
        side.finish()


@pytest.mark.parametrize("followed", [False, True])
def test_abs_two_sides_take_one_decision_per_cell(
    tmp_path: Path, rule: FakeSkipRule, followed: bool
) -> None:
    # The baseline's rule skips 1000, the current's 10: drawn apart, the sides
    # would compare 10 on one side only.
    sides = [runner(tmp_path / "baseline.json"), runner(tmp_path / "current.json")]
    if followed:
        follow_each_other(*sides)
    alternate(sides, rule, {0: {1000}, 1: {10}})
    old, new = (statuses(side.document) for side in sides)
    if not followed:
        assert old[10][0] == "ok" and new[10][0] == "skipped"  # the flip this rule removes
        return
    # The baseline ran pass 0 first and decided; the current followed it.
    assert {size: status for size, (status, _) in old.items()} == {
        size: status for size, (status, _) in new.items()
    }
    assert old[10][0] == "ok" and old[1000] == ("skipped", OWN_REASON)
    assert new[1000][1] == f"skipped as {tmp_path / 'baseline.json'} did ({OWN_REASON})"


class FakeRuns:
    """subprocess.run of `interop-bench run`: writes a synthetic results file at
    --out, skipping the cells `skip` names in the pair's second run unless
    that run follows the first (as run --follow would)."""

    def __init__(self, skip: dict[tuple[str, str, int], tuple[str, str]]) -> None:
        self.commands: list[list[str]] = []
        self.skip = skip

    def __call__(self, command: list[str], check: bool = False) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        out = Path(command[command.index("--out") + 1])
        draws_own = "--follow" not in command and out.name.endswith("-b.json")
        status = self.skip if draws_own else None
        write_results(out, make_results(strategies=["numpy"], ops=["sum"], status=status))
        return subprocess.CompletedProcess(command, 0)


def test_aas_second_run_follows_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = FakeRuns({("numpy", "sum", 1000): ("skipped", OWN_REASON)})
    monkeypatch.setattr(subprocess, "run", runs)
    monkeypatch.setattr(verify, "report", lambda *args: 0)
    out = tmp_path / "aa"
    assert cli.main(["aa", "--pairs", "2", "--strategies", "numpy", "--out-dir", str(out)]) == 0
    firsts, seconds = runs.commands[0::2], runs.commands[1::2]
    assert len(firsts) == len(seconds) == 2
    assert all("--follow" not in command for command in firsts)
    for index, command in enumerate(seconds):
        assert command[command.index("--follow") + 1] == str(out / f"pair{index + 1}-a.json")
        assert command[:3] == [sys.executable, "-m", "interop_bench"]
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("pair ")]
    assert sum("0 cell(s) measured in one run only" in line for line in lines) == 2


def request_json(*flags: str) -> dict[str, Any]:
    args = cli.build_parser().parse_args(["run", *flags])
    return selection_flags.request(args, strategies.names()).as_json()


QUICK = ("--profile", "quick", "--strategies", "numpy,capi", "--ops", "sum")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read results file"),
        ("{not json", "is not JSON"),
        ({"schema_version": 2, "cells": []}, "is not a results file of `interop-bench run`"),
        (
            {"schema_version": 2, "request": request_json(*QUICK[2:]), "cells": []},
            "profile 'default' in the file, 'quick' in this run",
        ),
        (
            {"schema_version": 2, "request": request_json(*QUICK[:4]), "cells": []},
            "ops only in the file: square, matrix_sum, scale, frame; only in this run: none",
        ),
        (
            {"schema_version": 2, "request": request_json(*QUICK, "--cell-budget", "2"),
             "cells": []},
            "cell_budget_s 2.0 in the file, 0.5 in this run",
        ),
    ],
)  # fmt: skip
def test_a_file_that_does_not_fit_is_refused_before_anything_is_measured(
    tmp_path: Path, content: object, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    followed = tmp_path / "first.json"
    if isinstance(content, str):
        followed.write_text(content)
    elif content is not None:
        followed.write_text(json.dumps(content))
    out = tmp_path / "second.json"
    status = cli.main(["run", *QUICK, "--follow", str(followed), "--out", str(out), "--quiet"])
    assert status == 2
    err = capsys.readouterr().err
    assert "--follow" in err and message in err, err
    assert not out.exists()


def test_a_file_of_the_same_request_is_followed_whatever_its_seed_or_slowdown(
    tmp_path: Path,
) -> None:
    """What decides the cells must match; the inputs' seed and a validation
    slowdown (aa's second run may have one) need not."""
    followed = tmp_path / "first.json"
    cells = [{"strategy": "numpy", "op": "sum", "size": 1, "status": "skipped", "reason": "r"}]
    followed.write_text(json.dumps({"schema_version": 2, "request": request_json(*QUICK),
                                    "cells": cells}))  # fmt: skip
    args = cli.build_parser().parse_args(["run", *QUICK, "--seed", "3"])
    request = selection_flags.request(args, strategies.names(), ("numpy", 0.1))
    assert (request.seed, request.slowdown) == (3, {"numpy": 0.1})
    leader = follow.load(str(followed), request)
    assert leader.skipped() == {("numpy", "sum", 1): f"skipped as {followed} did (r)"}


def test_compare_names_the_cells_measured_in_one_file_only(tmp_path: Path) -> None:
    small: dict[str, Any] = {"strategies": ["numpy", "ctypes"], "ops": ["sum"], "sizes": [1, 1000]}
    flipped = {("ctypes", "sum", 1000): ("skipped", "over the cell budget")}
    old = load(write_results(tmp_path / "old.json", make_results(**small, seed=1)))
    new = load(write_results(tmp_path / "new.json", make_results(**small, seed=2, status=flipped)))
    comparison = compare(old, new, threshold=0.1, alpha=0.01)
    assert [(c.strategy, c.op, c.size) for c in comparison.measured_in_one] == [
        ("ctypes", "sum", 1000)
    ]
    text = compare_render.render(comparison, "text")
    assert "measured in old only: ctypes sum 1000 (ok -> skipped)" in text
    assert any("1 cell(s) were measured in one file only" in w for w in comparison.warnings)
    listed = json.loads(compare_render.render(comparison, "json"))["measured_in_one"]
    assert listed == [["ctypes", "sum", 1000]]
