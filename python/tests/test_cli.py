"""The command line, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys

from interop_bench import strategies


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


def test_list_shows_every_strategy_with_its_copies() -> None:
    done = run_cli("list")
    assert done.returncode == 0, done.stderr
    for name in strategies.names():
        line = next(line for line in done.stdout.splitlines() if line.startswith(name + " "))
        cls = strategies.strategy_class(name)
        assert f"in: {cls.copies_in}, out: {cls.copies_out}" in line


def test_unknown_command_fails_with_usage() -> None:
    done = run_cli("frobnicate")
    assert done.returncode == 2
    assert "invalid choice" in done.stderr
