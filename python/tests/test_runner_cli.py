"""`interop-bench run` as a user runs it: bad input, Ctrl-C, --resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interop_bench import cli, run_command, strategies
from interop_bench.runner import plan, results

# Enough cells that the run is still going when the first ones are on disk.
SIZES = "1,10,100,1000,1e4,1e5,1e6"
OPS = "sum,scale"
CELLS = 7 * 2


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interop_bench", "run", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--strategies", "numpy,nope"],
            f"unknown strategy 'nope'; known: {', '.join(strategies.names())}",
        ),
        (["--ops", "sum,sqrt"], "unknown op 'sqrt'; known: sum, square, matrix_sum, scale"),
        (["--sizes", "1,ten"], "bad size 'ten'"),
        (["--sizes", "0"], "bad size '0'"),
        (["--resume", "x.json", "--strategies", "numpy"], "drop --strategies"),
        (["--resume", "does-not-exist.json"], "cannot read results file"),
    ],
)
def test_bad_input_exits_2_naming_the_bad_value(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", *args]) == 2  # in process: these fail before measuring
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("budget", ["0", "-1", "soon", "inf"])
def test_a_bad_cell_budget_is_refused(budget: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "--cell-budget", budget])
    assert exit_info.value.code == 2
    assert "--cell-budget" in capsys.readouterr().err


def test_the_cell_budget_is_recorded_and_grows_the_run_budget(tmp_path: Path) -> None:
    out = tmp_path / "budget.json"
    cells = ["--strategies", "numpy", "--ops", "sum", "--sizes", "10", "--profile", "quick"]
    done = run_cli(*cells, "--cell-budget", "0.25", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    assert results.load(out, validate=True)["request"]["cell_budget_s"] == 0.25
    quick = plan.PROFILES["quick"]
    raised = run_command._with_cell_budget(quick, 60.0, cells=10)
    assert (raised.cell_budget_s, raised.run_budget_s) == (60.0, 600.0)
    assert run_command._with_cell_budget(quick, None, cells=10) is quick


def test_an_existing_out_file_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "taken.json"
    out.write_text("{}")
    assert cli.main(["run", "--strategies", "numpy", "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert out.read_text() == "{}"


def cells_on_disk(path: Path) -> int:
    try:
        return len(json.loads(path.read_text())["cells"])
    except (OSError, ValueError):
        return 0


def interrupt_once_cells_are_written(out: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "interop_bench", "run", "--strategies", "numpy"]
    command += ["--ops", OPS, "--sizes", SIZES, "--profile", "quick", "--out", str(out)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while cells_on_disk(out) < 2 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=60)
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr)


@pytest.mark.skipif("numpy" not in strategies.names(), reason="needs the numpy strategy")
def test_ctrl_c_leaves_a_valid_partial_file_that_resume_completes(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    interrupted = interrupt_once_cells_are_written(out)
    assert interrupted.returncode == 130, interrupted.stderr
    assert f"--resume {out}" in interrupted.stderr
    partial = results.load(out, validate=True)
    assert partial["complete"] is False
    assert 2 <= len(partial["cells"]) < CELLS

    resumed = run_cli("--resume", str(out), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert f"results: {out}" in resumed.stdout
    complete = results.load(out, validate=True)
    assert complete["complete"] is True
    assert len(complete["resumed_utc"]) == 1
    keys = [(c["strategy"], c["op"], c["size"]) for c in complete["cells"]]
    assert len(keys) == len(set(keys)) == CELLS
    # The cells measured before the interruption are kept, not measured again.
    assert complete["cells"][: len(partial["cells"])] == partial["cells"]
    assert complete["environment"] == partial["environment"]
