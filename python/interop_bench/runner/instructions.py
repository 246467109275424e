"""Instructions per call of the small cells, counted by Valgrind: a number no
neighbour on a shared machine can move.

At 1 to 1,000 elements a call costs tens of nanoseconds to microseconds, and
its wall time is at the mercy of the machine (the interval says how much). Its
instruction count is not: the same binary on the same inputs executes the
same instructions. After the timed passes, one process per strategy runs under
callgrind (`count_worker`), instrumentation off until the strategy is open, and
counts the calls of each cell's own timing loop (as CodSpeed and
iai-callgrind do in CI). `compare` and `ab` gate on a count that grew.

Not every strategy can be counted honestly; each says why not in its
`uncountable` attribute (an IPC strategy's work runs in another process, and
its wait loops a timing-dependent number of times).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from interop_bench import results_file, strategies
from interop_bench.runner import placed_rows

COUNTED_SIZES = (1, 1000)
CALLS = 10  # per counted region (and twice as many in the second)
# Paddings allocated before a cell's input, one counted layout each (see
# count_worker._count); the median of their counts is the cell's.
LAYOUT_PADDINGS = (0, 1168, 2512, 3344, 4080)
TIMEOUT_S = 1800.0
WORKER_MODULE = "interop_bench.runner.count_worker"
_LABEL = re.compile(r"^desc: Trigger: Client Request: (.+)$", re.MULTILINE)
_TOTALS = re.compile(r"^totals: (\d+)", re.MULTILINE)

Key = tuple[str, str, int]


class InstructionsError(RuntimeError):
    """Instructions cannot be counted here; the message says why."""


def valgrind() -> str:
    """The valgrind executable; InstructionsError naming the fix when it is missing."""
    found = shutil.which("valgrind")
    if found is None:
        raise InstructionsError(
            "--instructions needs Valgrind, which is not installed: `make deps` installs it "
            "(Debian package valgrind)"
        )
    return found


def uncountable_reason(name: str) -> str:
    """Why `name` cannot be counted, or "" when it can."""
    try:
        return strategies.strategy_class(placed_rows.base(name)).uncountable
    except Exception as error:  # a strategy that does not import is not counted either
        return f"its module does not import: {error}"


def jobs(document: results_file.Document) -> list[Key]:
    """The ok strategy cells at COUNTED_SIZES whose strategy can be counted."""
    return [
        (cell["strategy"], cell["op"], cell["size"])
        for cell in document["cells"]
        if cell["status"] == "ok"
        and cell["size"] in COUNTED_SIZES
        and cell["strategy"] not in results_file.FLOORS
        and not uncountable_reason(cell["strategy"])
    ]


def count(keys: list[Key], seed: int, python: str = sys.executable) -> dict[Key, float]:
    """Instructions per call of each cell in `keys`, run by `python` (this
    interpreter, or a baseline's for interop-bench ab): one counting process per
    strategy, as many at once as there are cores.

    One process per strategy keeps a strategy's counts its own: what else the
    process imported and allocated (another strategy's modules, its arenas)
    cannot shift them, so adding a strategy does not move the others' counts.
    Valgrind runs one thread at a time, so the processes side by side take the
    machine's cores instead of one."""
    executable = valgrind()
    by_strategy: dict[str, list[Key]] = {}
    for key in keys:
        by_strategy.setdefault(key[0], []).append(key)
    counts: dict[Key, float] = {}
    workers = max(1, min(len(by_strategy), os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for found in pool.map(
            lambda group: _count_process(executable, group, seed, python),
            by_strategy.values(),
        ):
            counts.update(found)
    return counts


def _count_process(executable: str, keys: list[Key], seed: int, python: str) -> dict[Key, float]:
    """The counts of `keys` from one counting process under callgrind."""
    spec = json.dumps(
        {"seed": seed, "calls": CALLS, "layouts": LAYOUT_PADDINGS, "jobs": [list(k) for k in keys]}
    )
    with tempfile.TemporaryDirectory(prefix="ib-callgrind-") as directory:
        out = Path(directory) / "cg.out"
        command = [
            executable,
            "--tool=callgrind",
            "--instr-atstart=no",
            "--collect-atstart=no",
            f"--callgrind-out-file={out}",
            python,
            "-m",
            WORKER_MODULE,
        ]
        # A fixed hash seed: dict and set layouts, and so the interpreter's
        # work, must not change from one counting process to the next.
        env = dict(os.environ, PYTHONHASHSEED="0")
        done = subprocess.run(
            command,
            input=spec,
            capture_output=True,
            text=True,
            env=env,
            timeout=TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise InstructionsError(f"the counting process failed ({done.returncode}): {tail}")
        for line in done.stderr.splitlines():
            if line.startswith("interop-bench count:"):
                print(line, file=sys.stderr)
        return _per_call(_dumps(Path(directory)))


def _dumps(directory: Path) -> dict[str, int]:
    """label -> instructions of the region, from callgrind's dump files."""
    found = {}
    for path in directory.glob("cg.out.*"):
        text = path.read_text(errors="replace")
        label, total = _LABEL.search(text), _TOTALS.search(text)
        if label and total:
            found[label.group(1)] = int(total.group(1))
    return found


def _per_call(regions: dict[str, int]) -> dict[Key, float]:
    """Per cell: the difference of its two regions over the calls between them,
    the median over its layouts."""
    by_cell: dict[Key, list[float]] = {}
    for label, total in regions.items():
        parts = label.rsplit("|", 4)
        if len(parts) != 5 or parts[4] != str(CALLS):
            continue  # not a region of this version's counting process
        name, op, size, layout, _ = parts
        longer = regions.get(f"{name}|{op}|{size}|{layout}|{2 * CALLS}")
        if longer is not None:
            by_cell.setdefault((name, op, int(size)), []).append((longer - total) / CALLS)
    return {key: statistics.median(values) for key, values in by_cell.items()}


def record(document: results_file.Document, counts: dict[Key, float]) -> None:
    """Put the counts into the document's cells; the counted sizes of a strategy
    that cannot be counted say why instead."""
    for cell in document["cells"]:
        key = (cell["strategy"], cell["op"], cell["size"])
        if cell["status"] != "ok" or cell["size"] not in COUNTED_SIZES:
            continue
        if cell["strategy"] in results_file.FLOORS:
            continue
        entry: dict[str, Any]
        if key in counts:
            entry = {
                "per_call": counts[key],
                "calls": CALLS,
                "layouts": len(LAYOUT_PADDINGS),
                "tool": "callgrind",
            }
        else:
            reason = uncountable_reason(cell["strategy"]) or "the counting process skipped it"
            entry = {"per_call": None, "reason": reason}
        cell["instructions"] = entry
