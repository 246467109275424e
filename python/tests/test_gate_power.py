"""scripts/gate_power.py: the power table from ab's verdicts, with a fake ab (no
run is measured here): found per slowdown, false alarms in the A/A runs, the
median detectable slowdown, the files rewritten after every run, and a Ctrl-C
that keeps the runs finished so far."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gate_power.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gate_power", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gate_power"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gate_power = _load()


def _injected(command: list[str]) -> float:
    """The slowdown the command injects (0: A/A), as the fake ab reads it."""
    found = [command[i + 1] for i, word in enumerate(command) if word == "--inject-slowdown"]
    return float(found[0].rpartition(":")[2]) if found else 0.0


class FakeAb:
    """ab's JSON for capi and pipe at 1 and 1e6 elements: capi@1e6 is flagged from
    a 10% slowdown on, pipe@1 only at 25%; the second A/A run flags pipe@1e6
    (a false alarm); `stop_after` runs, Ctrl-C."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.commands: list[list[str]] = []
        self.stop_after = stop_after

    def __call__(self, command: list[str]) -> tuple[int, str]:
        if self.stop_after is not None and len(self.commands) == self.stop_after:
            raise KeyboardInterrupt
        self.commands.append(command)
        slowdown = _injected(command)
        aa_index = sum(_injected(c) == 0 for c in self.commands)
        flagged = {
            ("capi", 1): False,
            ("capi", 1_000_000): slowdown >= 0.1,
            ("pipe", 1): slowdown >= 0.25,
            ("pipe", 1_000_000): slowdown == 0 and aa_index == 2,
        }
        cells = [
            {
                "strategy": name, "op": "sum", "size": size, "floor": False,
                "ratio": 1 + slowdown, "detectable": 0.2 if name == "capi" else 0.4 + aa_index,
                "verdict": "slower" if flagged[(name, size)] or slowdown else "no change",
                "regression": flagged[(name, size)],
            }
            for name in ("capi", "pipe")
            for size in (1, 1_000_000)
        ]  # fmt: skip
        cells.append({"strategy": "kernel", "op": "sum", "size": 1, "floor": True})
        status = 1 if any(c.get("regression") for c in cells) else 0
        return status, json.dumps({"cells": cells})


def test_the_table_counts_found_slowdowns_and_false_alarms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_power, "resolve", lambda ref: "c" * 40)
    fake = FakeAb()
    assert gate_power.main(["--repeats", "3", "--out", str(tmp_path)], runner=fake) == 0
    assert len(fake.commands) == 3 * 4  # A/A and three slowdowns, three times each
    # The conditions take turns, and each injects into every strategy of the matrix.
    assert [_injected(c) for c in fake.commands[:4]] == [0.0, 0.05, 0.1, 0.25]
    assert fake.commands[1].count("--inject-slowdown") == 2
    assert all("--no-instructions" in c and "c" * 40 in c for c in fake.commands)
    document = json.loads((tmp_path / "gate-power.json").read_text())
    assert len(document["runs"]) == 12
    table = {(row["strategy"], row["size"]): row for row in document["table"]}
    assert set(table) == {(n, s) for n in ("capi", "pipe") for s in (1, 1_000_000)}
    found = {key: [f["flagged"] for f in row["found"]] for key, row in table.items()}
    assert found[("capi", 1_000_000)] == [0, 3, 3]
    assert found[("pipe", 1)] == [0, 0, 3]
    assert found[("capi", 1)] == [0, 0, 0]
    assert [f["slower"] for f in table[("capi", 1)]["found"]] == [3, 3, 3]
    assert all(f["runs"] == 3 for row in table.values() for f in row["found"])
    assert table[("pipe", 1_000_000)]["false_alarms"] == 1
    assert table[("capi", 1)]["false_alarms"] == 0 and table[("capi", 1)]["aa_runs"] == 3
    # The median over the A/A runs only (theirs: 1.4, 2.4, 3.4).
    assert table[("pipe", 1)]["median_detectable"] == pytest.approx(2.4)
    assert table[("capi", 1)]["median_detectable"] == pytest.approx(0.2)
    text = (tmp_path / "gate-power.md").read_text()
    assert "| pipe | sum | 1,000,000 | 1/3 | 0/3 (3) | 0/3 (3) | 0/3 (3) | 240% |" in text
    assert "| capi | sum | 1,000,000 | 0/3 | 0/3 (3) | 3/3 (3) | 3/3 (3) | 20% |" in text


def test_ctrl_c_keeps_the_runs_finished_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_power, "resolve", lambda ref: "c" * 40)
    status = gate_power.main(["--repeats", "2", "--out", str(tmp_path)], runner=FakeAb(5))
    assert status == 130
    document = json.loads((tmp_path / "gate-power.json").read_text())
    assert [run["slowdown"] for run in document["runs"]] == [0.0, 0.05, 0.1, 0.25, 0.0]
    aa = {(row["strategy"], row["size"]): row["aa_runs"] for row in document["table"]}
    assert set(aa.values()) == {2}


def test_a_failed_run_is_kept_but_not_counted(tmp_path: Path) -> None:
    slowed = FakeAb()(["--inject-slowdown", "x:0.1"])
    runs = [
        {"repeat": 0, "slowdown": 0.0} | gate_power.outcome(2, ""),
        {"repeat": 0, "slowdown": 0.1} | gate_power.outcome(*slowed),
    ]
    rows = gate_power.power_table(runs, [0.1])
    assert runs[0]["cells"] == [] and runs[0]["status"] == 2
    assert all(row.aa_runs == 0 and row.median_detectable is None for row in rows)
    assert [f.runs for row in rows for f in row.found] == [1, 1, 1, 1]


@pytest.mark.parametrize("flags", [["--slowdowns", "0.1,-1"], ["--repeats", "0"]])
def test_bad_flags_exit_2(flags: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        gate_power.parse(flags)
    assert exit_info.value.code == 2
