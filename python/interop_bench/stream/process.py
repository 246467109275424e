"""One measuring process of a stream run: `python -m interop_bench.stream.process`.

Reads its spec (JSON on stdin: `cells`, `seed`, `out`, `prune`), opens each
strategy once, streams its cells in the given order and appends one JSON record
a cell to `out` as soon as the cell ends, so a killed process loses only the
cell it was in. With `prune` (pass 0, cells lightest first), a cell that a
lighter one shows the strategy cannot carry (or, with `deeper_if_needed`, that
a shallower depth carries) is recorded `skipped` instead (stream/pruning.py).
Each record says the cell's wall time in this process (`wall_s`), from which
the run estimates what is left. Exit status 0 done, 130 interrupted.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from interop_bench import strategies
from interop_bench.strategies import Strategy
from interop_bench.stream import floor
from interop_bench.stream.cell import CellSpec, measure
from interop_bench.stream.pipelining import KERNEL
from interop_bench.stream.pruning import Pruner


def _open(name: str) -> Strategy:
    strategy = strategies.get(name)
    strategy.open()
    return strategy


def _cell(opened: dict[str, Any], raw: dict[str, Any], seed: int) -> dict[str, Any]:
    spec = CellSpec(**raw)
    identity = {"pass_seed": seed, **raw}
    try:
        if spec.strategy == KERNEL:
            return identity | floor.measure(spec, seed)
        if spec.strategy not in opened:
            opened[spec.strategy] = _open(spec.strategy)
        opened_strategy = opened[spec.strategy]
        if isinstance(opened_strategy, str):
            return identity | {"status": "error", "reason": opened_strategy}
        return identity | measure(opened_strategy, spec, seed)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        if spec.strategy not in opened:
            opened[spec.strategy] = f"could not open {spec.strategy}: {reason}"
        return identity | {"status": "error", "reason": reason}


def main() -> int:
    spec = json.loads(sys.stdin.read())
    opened: dict[str, Any] = {}
    pruner = Pruner(spec.get("deeper_if_needed", False)) if spec.get("prune") else None
    try:
        with open(spec["out"], "a") as out:
            for index, raw in enumerate(spec["cells"]):
                if spec.get("progress"):
                    print(
                        f"stream: cell {index + 1}/{len(spec['cells'])} of this process: "
                        f"{raw['strategy']} {raw['resolution']} {raw['fps']:g} fps "
                        f"depth {raw['depth']}",
                        file=sys.stderr,
                        flush=True,
                    )
                why = pruner.reason(raw) if pruner else None
                began = time.perf_counter()
                if why is not None:
                    record = {"pass_seed": spec["seed"], **raw, "status": "skipped", "reason": why}
                else:
                    record = _cell(opened, raw, int(spec["seed"]))
                    if pruner:
                        pruner.note(record)
                record["wall_s"] = time.perf_counter() - began
                out.write(json.dumps(record) + "\n")
                out.flush()
    except KeyboardInterrupt:
        return 130
    finally:
        for strategy in opened.values():
            if not isinstance(strategy, str):
                strategy.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
