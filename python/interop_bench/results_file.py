"""Results files: read, write atomically, validate (docs/results-schema.md).

The runner writes them, the readers (`report`, `compare`, `summary`, users'
scripts) read them, both through this module, which imports nothing from the
runner, the strategies or the analysis: reading a file never needs a native
module or the measuring code. Version 2 files hold per-process data; version 1
files (one process per cell) are still read, and their version tells readers
that their intervals come from one process.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema
import orjson

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
_HERE = Path(__file__).resolve().parent
SCHEMA_FILES = {1: _HERE / "results_schema_v1.json", 2: _HERE / "results_schema.json"}

Document = dict[str, Any]

# The floors a run measures as turns of its rounds, recorded as cells of these
# names (family "floor"): the kernel alone, and the bandwidth probes.
KERNEL = "kernel"
READ_PROBE = "read-probe"
MEMCPY_PROBE = "memcpy-probe"
FLOORS = (KERNEL, READ_PROBE, MEMCPY_PROBE)


# The statuses of a cell that was measured: `miscalibrated` keeps its samples
# and statistics for the reader, but breaks the sampling rule below, so no
# ranking, comparison or gate uses it.
MEASURED = ("ok", "miscalibrated")

# Files written before the runner recorded its sample target: no profile ever
# aimed lower, so a sample shorter than this broke the rule whatever the profile.
LEGACY_SAMPLE_TARGET_NS = 100_000
# A process from before the rule records no shortest sample, only its median.
# Its runner aimed 20% past the target and never dropped a short sample, so a
# well-calibrated cell's median sample lies near the target (92-99% of it in the
# committed reference run); one calibrated on a cold call lies far below
# (a few µs for 100 µs). Judged against this share of the target.
LEGACY_SHARE_OF_TARGET = 0.5


def sample_target_ns(request: dict[str, Any] | None) -> int:
    """The sample target a file's runs aimed at (its `request.sample_target_ns`)."""
    return int((request or {}).get("sample_target_ns") or LEGACY_SAMPLE_TARGET_NS)


def sampling_rule_breach(processes: list[dict[str, Any]], target_ns: int) -> str | None:
    """Why a cell's samples break the sampling rule, or None when they keep it.

    The rule: every recorded sample lasts at least the sample target, so that
    the clock's readings and the timing loop vanish from a per-call time; a
    call longer than the target is one call per sample, and keeps it too. A
    process that records its shortest sample is judged on it; one from before
    that field (an older file, an older baseline's pass) on its typical sample,
    its calls per sample times its per-call median, against LEGACY_SHARE_OF_TARGET."""
    for process in processes:
        calls = int(process["calls_per_sample"])
        shortest = process.get("shortest_sample_ns")
        if shortest is not None and shortest < target_ns:
            return (
                f"pass {process['pass']}: a sample of {calls} call(s) lasted {shortest:,} ns, "
                f"shorter than the {target_ns:,} ns sample target"
            )
        typical_ns = calls * float(process["median_ns"])
        if shortest is None and typical_ns < target_ns * LEGACY_SHARE_OF_TARGET:
            return (
                f"pass {process['pass']}: samples of {calls} call(s) lasted about "
                f"{typical_ns:,.0f} ns, shorter than the {target_ns:,} ns sample target "
                "(a per-call time that carries the clock's and the loop's cost)"
            )
    return None


class ResultsError(ValueError):
    """A results file that cannot be read; the message says why."""


def load(path: str | os.PathLike[str], validate: bool = False) -> Document:
    """The results document in `path`; refuses other schema versions with a
    clear message. `validate=True` also checks it against the JSON Schema."""
    try:
        document = json.loads(Path(path).read_text())
    except OSError as error:
        raise ResultsError(f"cannot read results file {path}: {error}") from error
    except ValueError as error:
        raise ResultsError(f"{path} is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise ResultsError(f"{path} is not a results file (top level is not an object)")
    version = document.get("schema_version")
    if version not in READABLE_VERSIONS:
        known = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise ResultsError(
            f"{path} has schema_version {version!r}; this interop-bench reads versions {known}"
        )
    if validate:
        check(document)
    return document


def schema(version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a results file of `version`."""
    loaded: dict[str, Any] = json.loads(SCHEMA_FILES[version].read_text())
    return loaded


def check(document: Document) -> None:
    """Raise ResultsError naming the first place where `document` breaks the
    schema of its version."""
    version = document.get("schema_version")
    if version not in READABLE_VERSIONS:
        raise ResultsError(f"schema_version {version!r} is not one of {READABLE_VERSIONS}")
    validator = jsonschema.Draft202012Validator(schema(version))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ResultsError(f"results file does not match the schema at {where}: {error.message}")


def utc_stamp(moment: datetime) -> str:
    """20261124T153000Z: the stamp of default results file names."""
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def default_path(directory: Path, moment: datetime, host: str) -> Path:
    """results/<UTC stamp>-<host>.json"""
    safe_host = "".join(c if c.isalnum() or c in "-_." else "_" for c in host) or "host"
    return directory / f"{utc_stamp(moment)}-{safe_host}.json"


def write_atomic(path: Path, document: Document) -> None:
    """Write `document` to `path` so that a reader (or an interruption) sees
    the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _dumps(document)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); a results file is meant to be
        # shared, so give it what open() would have: 0666 less the umask.
        os.fchmod(handle, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)  # the only way to read it is to set it
    os.umask(current)
    return current


def _dumps(document: Document) -> bytes:
    # orjson is ~10x faster than json: the file is rewritten after every cell.
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)


def new_document(
    request: dict[str, Any],
    environment: dict[str, Any],
    tool_version: str,
    created: datetime,
    strategies: dict[str, dict[str, Any]] | None = None,
) -> Document:
    """A results document with no cells yet (`complete` false until the run ends).
    `strategies` is the optional name -> {family, copies_in, copies_out, sources} block."""
    document: Document = {
        "schema_version": SCHEMA_VERSION,
        "tool_version": tool_version,
        "created_utc": created.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "complete": False,
        "request": request,
        "environment": environment,
    }
    if strategies is not None:
        document["strategies"] = strategies
    document["passes"] = []
    document["cells"] = []
    return document
