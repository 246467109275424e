"""A "built" baseline for `ab` and `ab-stream` tests: building a real one takes
minutes, so its venv's interpreter is this one, prepared as runner/baseline.py
leaves a finished build (the real build is what .ci/run's gates exercise)."""

from __future__ import annotations

import sys
from pathlib import Path

from interop_bench.runner import baseline


def fake_built_baseline(ab_dir: Path, commit: str) -> None:
    """`ab_dir`/`commit` as a finished build whose python is this interpreter."""
    built = ab_dir / commit
    (built / "src").mkdir(parents=True)
    (built / "venv" / "bin").mkdir(parents=True)
    python = built / "venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (built / baseline.INSTALLED).touch()


def baseline_without(folder: Path, module: str) -> baseline.Baseline:
    """A baseline from before `module`: its python fails to import it, as an old tree's would."""
    python = folder / "python"
    python.write_text(
        f"#!/bin/sh\necho \"ModuleNotFoundError: No module named '{module}'\" >&2\nexit 1\n"
    )
    python.chmod(0o755)
    return baseline.Baseline("0" * 40, folder, python)
