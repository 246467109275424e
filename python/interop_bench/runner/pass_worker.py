"""The measuring process of one pass: `python -m interop_bench.runner.pass_worker`.

Reads a PassSpec (runner/pass_spec.py) as JSON on standard input, measures it
(runner/engine.py) and appends one JSON record per line to the spec's pass
file, flushed as each cell ends, so that whatever happens to this process its
finished cells are on disk. Exit status: 0 done, 130 interrupted (Ctrl-C),
2 a spec it cannot follow. It dies with its parent (the run), as the
strategies' own workers die with it.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import signal
import sys

from interop_bench.runner.engine import Factory, run_pass
from interop_bench.runner.pass_spec import PassSpec, SpecError

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """SIGTERM when the parent exits (Linux); elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def factories(paths: dict[str, str]) -> dict[str, Factory]:
    """Strategy classes by "module:Class" (test doubles that are not registered)."""
    found: dict[str, Factory] = {}
    for name, target in paths.items():
        module_name, class_name = target.split(":")
        found[name] = getattr(importlib.import_module(module_name), class_name)
    return found


def main() -> int:
    die_with_parent()
    # SIGTERM (the parent gone) ends the pass like Ctrl-C: strategies closed, workers stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        spec = PassSpec.from_json(sys.stdin.read())
    except SpecError as error:
        print(f"interop-bench pass: {error}", file=sys.stderr)
        return 2
    try:
        run_pass(spec, factories(spec.factories))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
