"""`interop-bench ab`: bad baselines are refused clearly (exit 2, nothing measured),
and the alternating measurement is made and compared on paired processes, an
injected slowdown on this checkout's side only.

Building a real baseline takes minutes; the flow is tested on a "baseline" that is
this checkout's own interpreter, prepared as a built baseline would be. The real
build is what .ci/run's gate exercises on every landing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from built_baseline import baseline_without, fake_built_baseline

from interop_bench import cli, results_file
from interop_bench.runner import baseline, environment

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]
SMALL = ["--strategies", "numpy,capi", "--ops", "sum", "--sizes", "1,1000", "--processes", "3"]


def head() -> str:
    return subprocess.run(
        ["git", "-C", str(REPOSITORY), "rev-parse", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


needs_git = pytest.mark.skipif(
    subprocess.run(
        ["git", "-C", str(REPOSITORY), "rev-parse", "HEAD"], check=False, capture_output=True
    ).returncode
    != 0,
    reason="not a git checkout",
)


@needs_git
def test_a_baseline_that_is_not_a_commit_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPOSITORY)
    out = tmp_path / "out"
    status = cli.main(
        ["ab", "--baseline", "no-such-ref", "--no-instructions", "--out-dir", str(out)]
    )
    assert status == 2
    assert "'no-such-ref' is not a commit of" in capsys.readouterr().err
    assert not out.exists()  # nothing half-written


@pytest.mark.parametrize("value", ["capi", "capi:-1", "capi:0", "capi:11", ":0.1"])
def test_a_bad_injected_slowdown_exits_2(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["ab", "--baseline", "HEAD", "--inject-slowdown", value])
    assert exit_info.value.code == 2
    assert "--inject-slowdown" in capsys.readouterr().err


def test_a_slowdown_of_a_strategy_not_measured_exits_2_before_any_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # not a checkout: refused before the baseline is looked up
    out = tmp_path / "out"
    status = cli.main(
        ["ab", "--baseline", "HEAD", "--strategies", "numpy", "--no-instructions",
         "--inject-slowdown", "capi:0.1", "--out-dir", str(out)]
    )  # fmt: skip
    assert status == 2
    assert "unknown strategy 'capi'; known: numpy" in capsys.readouterr().err
    assert not out.exists()


def test_a_baseline_that_does_not_build_says_where_to_look(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / "README").write_text("not a project\n")
    for command in (["init", "-q"], ["add", "README"], ["commit", "-qm", "x"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repository), *command],
            check=True,
        )
    commit = baseline.resolve(repository, "HEAD")
    with pytest.raises(baseline.BaselineError, match="does not build"):
        baseline.prepare(repository, commit, tmp_path / "ab", tmp_path / "build.log")


def test_a_baseline_that_predates_the_pass_protocol_is_refused(tmp_path: Path) -> None:
    old = baseline_without(tmp_path, "interop_bench.runner.pass_spec")
    with pytest.raises(baseline.BaselineError, match="predates the measuring processes"):
        old.check_protocol()


@needs_git
def test_ab_alternates_processes_and_compares_them_in_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    commit = head()
    fake_built_baseline(tmp_path / "ab", commit)
    monkeypatch.chdir(REPOSITORY)
    out = tmp_path / "out"
    status = cli.main(
        ["ab", "--baseline", "HEAD", *SMALL, "--no-instructions", "--quiet", "--format", "json",
         "--inject-slowdown", "capi:0.5", "--ab-dir", str(tmp_path / "ab"), "--out-dir", str(out)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert status in (0, 1), captured.err  # one interpreter on both sides: no build, no error
    old = results_file.load(out / "baseline.json", validate=True)
    new = results_file.load(out / "current.json", validate=True)
    assert old["environment"]["git"]["commit"] == commit
    # The injected slowdown is this checkout's side alone.
    assert old["request"]["inject_slowdown"] == {}
    assert new["request"]["inject_slowdown"] == {"capi": 0.5}
    for document in (old, new):
        assert document["complete"] is True
        assert [p["pass"] for p in document["passes"]] == [0, 1, 2]
    # Alternating, and neither side always first: baseline, current, current, baseline, ...
    launches = sorted(
        [(p["started_monotonic_ns"], "old", p["pass"]) for p in old["passes"]]
        + [(p["started_monotonic_ns"], "new", p["pass"]) for p in new["passes"]]
    )
    assert [(side, index) for _, side, index in launches] == [
        ("old", 0), ("new", 0), ("new", 1), ("old", 1), ("old", 2), ("new", 2),
    ]  # fmt: skip
    assert '"regressions"' in captured.out
    # The sides follow each other's skip decisions: the same cells on both.
    decided = [
        {(c["strategy"], c["op"], c["size"]): c["status"] for c in document["cells"]}
        for document in (old, new)
    ]
    assert decided[0] == decided[1]
    assert "the new file is a validation run: capi was slowed by 50%" in captured.out
    # One interpreter on both sides: the same releases, the C++ ones included.
    assert old["environment"]["versions"] == new["environment"]["versions"]
    assert '"releases": []' in captured.out


def test_a_baselines_python_packages_keep_the_cpp_librarys_names_free() -> None:
    # pip's "flatbuffers" is the Python runtime; "flatbuffers" in a results file is C++'s.
    installed = {"flatbuffers": "25.12.19", "nanobind": "2.9.2", "scikit-build-core": "1.1.2"}
    assert environment.python_versions(installed) == {
        "nanobind": "2.9.2",
        "flatbuffers_python": "25.12.19",
    }
