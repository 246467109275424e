"""The command line, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

from interop_bench import list_command, strategies

pytestmark = pytest.mark.slow


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interop_bench", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_help_lists_the_commands() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    for command in ("list", "run", "report", "compare"):
        assert command in done.stdout


@pytest.fixture(scope="module")
def listed() -> str:
    """What `list` prints (one process for the tests that read it)."""
    done = run_cli("list")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_list_shows_every_strategy_with_its_copies(listed: str) -> None:
    for name in strategies.names():
        line = next(line for line in listed.splitlines() if line.startswith(name + " "))
        cls = strategies.strategy_class(name)
        assert f"in: {cls.copies_in}, out: {cls.copies_out}" in line


def test_list_shows_the_release_of_each_strategys_packages(listed: str) -> None:
    found = list_command.package_versions()
    assert found["nanobind"] == metadata.version("nanobind")
    for name in strategies.names():
        line = next(line for line in listed.splitlines() if line.startswith(name + " "))
        for package in strategies.strategy_class(name).packages:
            assert package in found, f"{name} names {package!r}, which list cannot find"
            assert f"{package} {found[package]}" in line


def test_a_strategy_of_no_package_shows_a_dash() -> None:
    assert list_command.versions_cell((), {"numpy": "2.4.6"}) == list_command.NO_PACKAGE
    assert (
        list_command.versions_cell(("numpy", "gone"), {"numpy": "2.4.6"}) == "numpy 2.4.6, gone ?"
    )


def test_unknown_command_fails_with_usage() -> None:
    done = run_cli("frobnicate")
    assert done.returncode == 2
    assert "invalid choice" in done.stderr
