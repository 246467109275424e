"""A stream run's passes: pass 0's pruning (stream/pruning.py) and a measuring
process that dies in the middle of its strategy's cells (stream/run.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from interop_bench.stream.pruning import Pruner, heavier, loss

TESTS = Path(__file__).parent


def _cell(resolution: str, fps: float, depth: int = 1, strategy: str = "s") -> dict:
    return {"strategy": strategy, "resolution": resolution, "fps": fps, "depth": depth}


def test_heavier_means_same_strategy_and_depth_and_no_lighter_load() -> None:
    base = _cell("1080p", 30)
    assert heavier(_cell("4k", 60), base) and heavier(_cell("1080p", 30), base)
    assert not heavier(_cell("720p", 60), base)  # a lighter resolution
    assert not heavier(_cell("4k", 24), base)  # a lighter rate
    assert not heavier(_cell("4k", 60, depth=2), base)
    assert not heavier(_cell("4k", 60, strategy="t"), base)


def test_a_cell_that_cannot_keep_up_or_failed_prunes_its_heavier_cells() -> None:
    pruner = Pruner()
    pruner.note(_cell("1080p", 30) | {"status": "ok", "achieved_fps": 29.0})
    assert pruner.reason(_cell("4k", 60)) is None  # 29 of 30 fps keeps up
    pruner.note(_cell("1080p", 60) | {"status": "ok", "achieved_fps": 41.5})
    why = pruner.reason(_cell("4k", 60))
    assert why == "not run: it cannot keep up at 1080p 60 fps depth 1 (41.5 fps achieved)"
    assert pruner.reason(_cell("4k", 30)) is None
    failed = _cell("vga", 30, depth=2) | {"status": "error", "reason": "boom"}
    assert loss(failed) == "boom"
    pruner.note(failed)
    assert pruner.reason(_cell("720p", 30, depth=2)) == (
        "not run: it failed at vga 30 fps depth 2 (boom)"
    )


@pytest.mark.slow
def test_a_process_that_dies_fails_its_cell_prunes_heavier_ones_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    """Through the real command: the fake dies on its lightest cell (720p 50 fps), which
    every run measures however slow the machine, so nothing here depends on speed. That
    a process's earlier cells survive its death is test_stream_budget.py's (on a fake clock)."""
    out = tmp_path / "stream.json"
    env = dict(os.environ)
    env["INTEROP_BENCH_EXTRA_STRATEGIES"] = "process-dies=stream_fakes:ProcessDiesAboveVga"
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "interop_bench", "stream", "--quiet", "--strategies"]
    command += ["process-dies,numpy", "--resolutions", "720p", "--fps", "50,60"]
    command += ["--depth", "1", "--duration", "1", "--processes", "2", "--out", str(out)]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert finished.returncode == 1, finished.stderr
    cells = {
        (c["strategy"], c["resolution"], c["fps"]): c for c in json.loads(out.read_text())["cells"]
    }
    died = cells["process-dies", "720p", 50]
    assert died["status"] == "error"
    assert died["reason"] == "pass 0: the measuring process died (exit 9)"
    pruned = cells["process-dies", "720p", 60]
    assert pruned["status"] == "skipped"
    assert pruned["reason"].startswith("not run: it failed at 720p 50 fps depth 1")
    assert cells["numpy", "720p", 50]["status"] == "ok"
    assert cells["kernel", "720p", 50]["status"] == "ok"
