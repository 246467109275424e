"""The GitHub Actions workflow a user copies (.github/workflows/interop-bench.yml):
valid against GitHub's workflow schema (check-jsonschema's vendored copy, no
network), and doing what the README's "Comparing in CI" says it does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "interop-bench.yml"
SCHEMA_CHECK = [
    sys.executable,
    "-m",
    "check_jsonschema",
    "--builtin-schema",
    "vendor.github-workflows",
]


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCHEMA_CHECK, str(path)], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(WORKFLOW.read_text())
    return loaded


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_the_workflow_matches_githubs_schema() -> None:
    checked = _check(WORKFLOW)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_broken_workflow_fails_the_schema(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "run-on:", 1))
    assert _check(broken).returncode != 0


def test_a_pull_request_is_gated_against_its_merge_base(workflow: dict[str, Any]) -> None:
    gate = workflow["jobs"]["gate"]
    runs = _runs(gate)
    assert "git merge-base" in runs
    assert "make test" in runs
    assert 'ab-gate AB_BASELINE="$BASELINE"' in runs and "GITHUB_STEP_SUMMARY" in runs
    assert 'ab-stream-gate AB_BASELINE="$BASELINE"' in runs
    uses = [step.get("uses", "") for step in gate["steps"]]
    assert any(u.startswith("actions/cache@") for u in uses)
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    # A ref name reaches the shell through the environment, never spliced into a script.
    assert "${{" not in runs


def test_the_scheduled_bench_merges_every_runner_into_one_report(
    workflow: dict[str, Any],
) -> None:
    jobs = workflow["jobs"]
    assert len(jobs["bench"]["strategy"]["matrix"]["runner"]) >= 2
    assert "make bench" in _runs(jobs["bench"])
    assert jobs["report"]["needs"] == "bench"
    assert "interop-bench report fleet/" in _runs(jobs["report"])


def test_the_stream_gate_target_runs_ab_stream_against_its_baseline() -> None:
    planned = subprocess.run(
        ["make", "-n", "--no-print-directory", "ab-stream-gate", "AB_BASELINE=abc123"],
        cwd=WORKFLOW.parents[2], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "-m interop_bench ab-stream --baseline abc123 --strategies shm,pybind11" in planned
