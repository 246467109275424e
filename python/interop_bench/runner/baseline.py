"""A baseline commit, built beside this checkout for `interop-bench ab`.

The commit is checked out into its own git worktree (build/ab/<commit>/src)
and installed into its own virtual environment (build/ab/<commit>/venv) with
its own pinned dependencies, as `make build` would do it; both are kept, so a
second `ab` against the same commit builds nothing. Its pass processes then
run with that venv's interpreter and read this checkout's pass specs, which
the baseline must understand (runner/pass_spec.py's PROTOCOL).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from interop_bench.runner.pass_spec import PROTOCOL

BUILD_TIMEOUT_S = 3600.0
QUERY_TIMEOUT_S = 120.0
INSTALLED = "installed"  # the marker of a finished build
ROOT = Path("build/ab")  # where baselines are built and kept, one folder per commit


def add_ab_dir(parser: argparse.ArgumentParser) -> None:
    """`--ab-dir`, shared by `ab` and `ab-stream` (one build serves both)."""
    parser.add_argument(
        "--ab-dir",
        type=Path,
        default=ROOT,
        help=f"where baselines are built and kept, one folder per commit (default {ROOT})",
    )


class BaselineError(RuntimeError):
    """The baseline cannot be measured; the message says why and where to look."""


@dataclass(frozen=True)
class Baseline:
    commit: str
    source: Path
    python: Path

    def strategies(self) -> list[str]:
        """The baseline's registered strategies."""
        code = "from interop_bench import strategies; print(','.join(strategies.names()))"
        return self._query(code).strip().split(",")

    def versions(self) -> dict[str, str]:
        """Every distribution installed in the baseline's venv, name -> version."""
        code = (
            "import json, importlib.metadata as m; "
            "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))"
        )
        found: dict[str, str] = json.loads(self._query(code))
        return found

    def check_protocol(self) -> None:
        code = "from interop_bench.runner.pass_spec import PROTOCOL; print(PROTOCOL)"
        try:
            spoken = int(self._query(code))
        except BaselineError as error:
            raise BaselineError(
                f"baseline {self.commit[:12]} predates the measuring processes of this "
                f"version (no interop_bench.runner.pass_spec): it cannot be A/B-measured "
                f"against it ({error})"
            ) from None
        if spoken != PROTOCOL:
            raise BaselineError(
                f"baseline {self.commit[:12]} speaks pass protocol {spoken}, this checkout "
                f"{PROTOCOL}: measure both with one version"
            )

    def check_module(self, module: str, what: str) -> None:
        """BaselineError unless the baseline has `module`, which measures `what`."""
        try:
            self._query(f"import {module}")
        except BaselineError as error:
            raise BaselineError(
                f"baseline {self.commit[:12]} predates {what} (no {module}): it cannot be "
                f"A/B-measured for them ({error})"
            ) from None

    def _query(self, code: str) -> str:
        done = subprocess.run(
            [str(self.python), "-c", code],
            capture_output=True,
            text=True,
            check=False,
            timeout=QUERY_TIMEOUT_S,
            cwd=self.source.parent,  # not a checkout: the installed package is what runs
        )
        if done.returncode != 0:
            raise BaselineError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
        return done.stdout


def resolve(repository: Path, ref: str) -> str:
    """The full commit id of `ref` in `repository`; BaselineError when it is not one."""
    done = _git(repository, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        shallow = _git(repository, "rev-parse", "--is-shallow-repository").stdout.strip()
        hint = " (this clone is shallow: fetch more history)" if shallow == "true" else ""
        raise BaselineError(f"{ref!r} is not a commit of {repository}{hint}")
    return done.stdout.strip()


def prepare(repository: Path, commit: str, root: Path, log: Path) -> Baseline:
    """The baseline of `commit`: worktree and venv under `root`, built unless they are."""
    home = root.resolve() / commit
    source, venv = home / "src", home / "venv"
    python = venv / "bin" / "python"
    if (home / INSTALLED).exists() and python.exists():
        return Baseline(commit, source, python)
    home.mkdir(parents=True, exist_ok=True)
    if not (source / ".git").exists():
        _checked(
            _git(repository, "worktree", "add", "--force", "--detach", str(source), commit),
            f"git worktree add of {commit[:12]}",
        )
    with open(log, "w") as stream:
        try:
            steps = _build_steps(source, venv)
        except (OSError, subprocess.CalledProcessError) as error:
            raise BaselineError(
                f"baseline {commit[:12]} does not build: its build requirements cannot be read "
                f"({error})"
            ) from error
        for step in steps:
            print(f"$ {' '.join(step)}", file=stream, flush=True)
            done = subprocess.run(
                step,
                stdout=stream,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=BUILD_TIMEOUT_S,
                cwd=source,
                env=_clean_environment(),
            )
            if done.returncode != 0:
                raise BaselineError(
                    f"baseline {commit[:12]} does not build ({step[-1]} exited with "
                    f"{done.returncode}): see {log}"
                )
    (home / INSTALLED).touch()
    return Baseline(commit, source, python)


def _build_steps(source: Path, venv: Path) -> list[list[str]]:
    """What `make build` does, into this venv: its build requirements first, then
    the package itself without build isolation (no download of a second copy)."""
    python = str(venv / "bin" / "python")
    requires = subprocess.run(
        [
            sys.executable,
            str(source / "scripts" / "build_requires.py"),
            str(source / "pyproject.toml"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [
        [sys.executable, "-m", "venv", str(venv)],
        [python, "-m", "pip", "install", "-q", *requires, "ninja"],
        [python, "-m", "pip", "install", "-q", "--no-build-isolation", str(source)],
    ]


def _clean_environment() -> dict[str, str]:
    """This environment without what points into this checkout's venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return env


def _git(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repository), *args], capture_output=True, text=True, check=False
    )


def _checked(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        raise BaselineError(f"{what} failed: {done.stderr.strip()}")
