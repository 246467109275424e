"""`interop-bench run` as a user runs it: bad input, Ctrl-C, --resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from interop_bench import cli, strategies
from interop_bench import results_file as results
from interop_bench.runner import plan
from interop_bench.runner import request as run_request

pytestmark = pytest.mark.slow

SIZES = "1,100,1e4"
OPS = "sum,scale"
# Two strategies and the kernel alone for two ops at three sizes, and the two
# bandwidth probes in the first op's groups.
CELLS = 3 * 2 * 3 + 2 * 3


def run_cli(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interop_bench", "run", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=env,
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
        (["--inject-slowdown", "nope:0.25"], "unknown strategy 'nope'"),
        (
            ["--dtypes", "float64,float16"],
            "unknown dtype 'float16'; known: float64, float32, int32, int16, uint8",
        ),
        (
            ["--sizes", "1,16k"],
            "bad size '16k': sizes are element counts like 1,1e3,1e6 or frame resolutions "
            "(vga, 720p, 1080p, 4k, 8k)",
        ),
        (
            ["--ops", "frame", "--sizes", "1e3"],
            "frame runs at frame resolutions (vga, 720p, 1080p, 4k, 8k); --sizes has none",
        ),
        (["--ops", "sum,frame", "--sizes", "4k"], "sum runs at element counts"),
        (["--ops", "sum", "--sizes", "1,4k"], "--sizes 4k: resolutions are frame's, not in --ops"),
        (["--ops", "frame", "--sizes", "1,4k"], "--ops has no vector op"),
    ],
)
def test_bad_input_exits_2_naming_the_bad_value(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", *args]) == 2  # in process: these fail before measuring
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--processes", "0"),
        ("--processes", "two"),
        ("--inject-slowdown", "capi"),
        ("--inject-slowdown", "capi:-1"),
    ],
)
def test_bad_processes_and_slowdowns_are_refused(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", flag, value])
    assert exit_info.value.code == 2
    assert flag in capsys.readouterr().err


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
    raised = run_request.with_cell_budget(quick, 60.0, cells=10)
    assert (raised.cell_budget_s, raised.run_budget_s) == (60.0, 600.0)
    assert run_request.with_cell_budget(quick, None, cells=10) is quick


def test_help_says_how_dtypes_and_resolutions_are_asked_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--dtypes T,T" in text and "float64, float32, int32, int16, uint8" in text
    assert "frame resolutions (vga, 720p, 1080p, 4k, 8k)" in text
    assert "sum:uint8" in text


def test_a_run_of_dtypes_and_frames_records_labels_and_goes_on_past_refusals(
    tmp_path: Path,
) -> None:
    """numpy carries every dtype and frames; a strategy that carries float64 only
    (fake_strategies.Float64Only) records its other cells as errors naming the
    refusal, and the run completes."""
    out = tmp_path / "dtypes.json"
    only = "float64-only"
    selection = ["--strategies", f"numpy,{only}", "--ops", "sum,frame"]
    done = run_cli(
        *selection,
        *("--dtypes", "float64,uint8", "--sizes", "1,1000,vga", "--profile", "quick"),
        *("--processes", "2", "--no-instructions", "--quiet", "--out", str(out)),
        timeout=300,
        env=double_environment(tmp_path, (only, "Float64Only")),
    )
    assert done.returncode == 0, done.stderr
    document = results.load(out, validate=True)
    assert document["request"]["dtypes"] == ["float64", "uint8"]
    assert document["request"]["resolutions"] == ["vga"]
    cells = {(c["strategy"], c["op"], c["size"]): c for c in document["cells"]}
    assert set(cells) >= {
        (name, label, size)
        for name in ("numpy", only, "kernel")
        for label in ("sum", "sum:uint8")
        for size in (1, 1000)
    } | {("numpy", "frame", 921_600), (only, "frame", 921_600), ("kernel", "frame", 921_600)}
    uint8 = cells[("numpy", "sum:uint8", 1000)]
    assert (uint8["status"], uint8["dtype"], uint8["bytes"]) == ("ok", "uint8", 1000)
    assert uint8["stats"]["kernel_ratio"] is not None  # the uint8 kernel was a turn too
    frame = cells[("numpy", "frame", 921_600)]
    assert frame["status"] == "ok" and frame["stats"]["kernel_ratio"] is not None
    assert (frame["resolution"], frame["width"], frame["height"]) == ("vga", 640, 480)
    refused = cells[(only, "sum:uint8", 1000)]
    assert refused["status"] == "error" and "TypeError" in refused["reason"]
    assert cells[(only, "frame", 921_600)]["status"] == "error"
    assert cells[(only, "sum", 1000)]["status"] == "ok"


def test_an_existing_out_file_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "taken.json"
    out.write_text("{}")
    assert cli.main(["run", "--strategies", "numpy", "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert out.read_text() == "{}"


TESTS_DIR = Path(__file__).resolve().parent


def double_environment(tmp_path: Path, *doubles: str) -> dict[str, str]:
    """The environment of a run that can measure the doubles of fake_strategies.py."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    env["INTEROP_BENCH_EXTRA_STRATEGIES"] = ",".join(
        f"{name}=fake_strategies:{cls}" for name, cls in doubles
    )
    env["IB_TEST_COUNTER"] = str(tmp_path / "opened.txt")
    env["IB_TEST_FIFO"] = str(tmp_path / "pass1.fifo")
    return env


def run_command_line(strategy: str, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "interop_bench",
        "run",
        "--strategies",
        f"numpy,{strategy}",
        "--ops",
        OPS,
        "--sizes",
        SIZES,
        "--profile",
        "quick",
        "--processes",
        "3",
        "--out",
        str(out),
    ]


def test_ctrl_c_keeps_what_was_measured_and_resume_completes_it(tmp_path: Path) -> None:
    env = double_environment(tmp_path, ("signals", "SignalsInPass1"))
    fifo = Path(env["IB_TEST_FIFO"])
    os.mkfifo(fifo)
    out = tmp_path / "run.json"
    child = subprocess.Popen(
        run_command_line("signals", out),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with open(fifo) as started:  # blocks until pass 1 has opened its strategies
        assert started.read() == "pass 1 started\n"
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 130, stderr
    assert f"--resume {out}" in stderr
    partial = results.load(out, validate=True)
    assert partial["complete"] is False
    assert len(partial["cells"]) == CELLS  # pass 0 measured every cell
    assert all(c["processes"][0]["pass"] == 0 for c in partial["cells"])
    assert all(len(c["processes"]) < 3 for c in partial["cells"])
    assert not list(tmp_path.glob(".run.json.pass-*"))  # the pass file was merged

    resumed = subprocess.run(
        [sys.executable, "-m", "interop_bench", "run", "--resume", str(out), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"results: {out}" in resumed.stdout
    complete = results.load(out, validate=True)
    assert complete["complete"] is True
    assert len(complete["resumed_utc"]) == 1
    keys = [(c["strategy"], c["op"], c["size"]) for c in complete["cells"]]
    assert len(keys) == len(set(keys)) == CELLS
    before = {(c["strategy"], c["op"], c["size"]): c for c in partial["cells"]}
    for record in complete["cells"]:
        assert [p["pass"] for p in record["processes"]] == [0, 1, 2]
        # What was measured before the interruption is kept, not measured again.
        kept = before[(record["strategy"], record["op"], record["size"])]["processes"]
        assert record["processes"][: len(kept)] == kept
    assert complete["environment"] == partial["environment"] | {
        "noise": complete["environment"]["noise"]
    }


def test_a_measuring_process_that_dies_costs_its_group_not_the_run(tmp_path: Path) -> None:
    env = double_environment(tmp_path, ("dies", "DiesInPass1"))
    out = tmp_path / "run.json"
    done = subprocess.run(
        run_command_line("dies", out),
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "died (exit status 9)" in done.stderr
    document = results.load(out, validate=True)
    by_key = {(c["strategy"], c["op"], c["size"]): c for c in document["cells"]}
    dead = by_key[("dies", "sum", 1)]
    assert dead["status"] == "error" and "died (exit status 9)" in dead["reason"]
    # numpy shared that group: it was recorded before the death, or failed with it.
    beside = by_key[("numpy", "sum", 1)]
    assert beside["status"] == "ok" or "died" in beside["reason"]
    # Every later group was measured in all three processes, the dying strategy too
    # (its process restarts for the rest of the pass, and it dies only once: at sum n=1).
    others = [c for (_, op, size), c in by_key.items() if (op, size) != ("sum", 1)]
    assert others and all(c["status"] == "ok" for c in others if c["strategy"] == "numpy")
