"""The environment and method section: what ran where, one column per results file."""

from __future__ import annotations

from collections import Counter
from typing import Any

from interop_bench.analysis.load import Results
from interop_bench.analysis.units import format_bytes, format_ns, format_rate


def rows(files: list[Results]) -> list[tuple[str, list[str]]]:
    """(what, [value in each file]) for the environment table."""
    getters = (
        ("file", lambda r: str(r.path)),
        ("run started (UTC)", lambda r: str(r.data.get("created_utc", ""))),
        ("complete", lambda r: "yes" if r.data.get("complete") else "no (interrupted or running)"),
        ("profile", lambda r: str(r.environment.get("profile") or _request(r).get("profile", ""))),
        ("host", lambda r: _env(r, "host")),
        ("CPU", lambda r: f"{_env(r, 'cpu_model')} ({_env(r, 'cpu_count')} logical CPUs)"),
        ("memory", lambda r: _bytes(r.environment.get("memory_bytes"))),
        ("OS, kernel", lambda r: f"{_env(r, 'os')}, {_env(r, 'kernel')}"),
        ("compiler", lambda r: f"{_env(r, 'compiler')} {_env(r, 'compiler_flags')}"),
        ("Python", lambda r: _env(r, "python")),
        ("versions", lambda r: ", ".join(f"{k} {v}" for k, v in _dict(r, "versions").items())),
        ("commit", _commit),
        ("interop-bench", lambda r: str(r.data.get("tool_version", ""))),
        ("command line", lambda r: " ".join(map(str, r.environment.get("command_line") or []))),
        ("timer", _timer),
        ("native floors", _floors),
        ("cells", _cells),
        ("samples per cell", _samples),
    )
    return [(what, [get(r) for r in files]) for what, get in getters]


def _env(results: Results, key: str) -> str:
    value = results.environment.get(key)
    return "?" if value is None else str(value)


def _dict(results: Results, key: str) -> dict[str, Any]:
    value = results.environment.get(key)
    return value if isinstance(value, dict) else {}


def _request(results: Results) -> dict[str, Any]:
    value = results.data.get("request")
    return value if isinstance(value, dict) else {}


def _bytes(value: object) -> str:
    return format_bytes(float(value)) if isinstance(value, int | float) else "?"


def _commit(results: Results) -> str:
    git = _dict(results, "git")
    commit = git.get("commit")
    if not commit:
        return "unknown (not a git checkout)"
    return str(commit)[:12] + (" (uncommitted changes)" if git.get("dirty") else "")


def _timer(results: Results) -> str:
    timer = _dict(results, "timer")
    if not timer:
        return "?"
    return (
        f"perf_counter_ns resolution {format_ns(float(timer.get('resolution_ns', 0)))}, "
        f"empty-loop overhead {format_ns(float(timer.get('loop_overhead_ns', 0)))} per call "
        "(subtracted)"
    )


def _floors(results: Results) -> str:
    floors = _dict(results, "floors")
    if not floors.get("available"):
        return f"not measured: {floors.get('reason') or 'no floors in this file'}"
    read, copy = (
        floors.get("read_bandwidth_bytes_per_s"),
        floors.get("memcpy_bandwidth_bytes_per_s"),
    )
    parts = []
    if read:
        parts.append(f"read {format_rate(float(read))}")
    if copy:
        parts.append(f"memcpy {format_rate(float(copy))}")
    parts.append(f"kernel alone for {len(floors.get('kernel_ns') or {})} ops")
    return ", ".join(parts)


def _cells(results: Results) -> str:
    counts = Counter(c.status for c in results.cells)
    return ", ".join(f"{n} {status}" for status, n in counts.most_common()) or "none"


def _samples(results: Results) -> str:
    ok = [c for c in results.cells if c.ok]
    if not ok:
        return "no measured cell"
    samples = [int(c.stats.get("samples", len(c.samples_ns))) for c in ok]
    stops = Counter(str(c.stats.get("stop_reason", "?")) for c in ok)
    stopped = ", ".join(f"{n} by {reason}" for reason, n in stops.most_common())
    return f"{min(samples)} to {max(samples)}; cells stopped: {stopped}"
