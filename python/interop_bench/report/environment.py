"""The environment and method section: what ran where, one column per results file."""

from __future__ import annotations

from collections import Counter
from typing import Any

from interop_bench.analysis import machine_speed, resolution
from interop_bench.analysis.floors import checks as floor_checks
from interop_bench.analysis.load import Results
from interop_bench.analysis.noise import noisy_groups, worst_shares
from interop_bench.analysis.startup import lines as startup_lines
from interop_bench.analysis.units import format_bytes, format_ns, format_rate
from interop_bench.report.cell_table import WIDE_HALF_WIDTH


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
        ("start-up (once per process, not in the cells)", _startup),
        ("command line", lambda r: " ".join(map(str, r.environment.get("command_line") or []))),
        ("network link", _link),
        ("timer", _timer),
        ("processes per cell", _processes),
        ("CPU placement of caller and workers", lambda r: r.placement_text),
        ("placed rows", lambda r: r.placed_rows_text or "none"),
        ("CPU topology", _topology),
        ("machine settings", _settings),
        ("noise during the run", _noise),
        ("intervals", _intervals),
        ("machine speed during the run", _machine_speed),
        ("what the run tells apart", _told_apart),
        ("Google Benchmark floors", _floors),
        ("cells", _cells),
        ("samples per cell", _samples),
    )
    return [(what, [get(r) for r in files]) for what, get in getters]


def _startup(results: Results) -> str:
    return "; ".join(startup_lines(results)) or "none measured (no strategy compiles at first call)"


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


def _link(results: Results) -> str:
    """What the network strategies' arrays crossed: peers, shaping, delay (files
    older than the network strategies say nothing)."""
    link = _dict(results, "link")
    if not link:
        return "not recorded"
    peers = ", ".join(f"{name} at {address}" for name, address in (link.get("peers") or {}).items())
    parts = [str(link.get("description") or "")]
    if peers:
        parts.append(f"peers: {peers}")
    if link.get("rate") is not None:
        parts.append(f"rate {link['rate']}")
    if link.get("delay") is not None:
        parts.append(f"delay {link['delay']}")
    return "; ".join(part for part in parts if part)


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
    found = floor_checks(results)
    if found:
        ratios = [c.ratio for c in found]
        disagree = [c for c in found if c.disagree]
        parts.append(
            f"in-run / Google Benchmark {min(ratios):.2f} to {max(ratios):.2f}; "
            f"{len(disagree)} of {len(found)} disagree beyond both ranges (see below)"
        )
    elif results.schema_version < 2:
        parts.append("the only floors of this version 1 file (measured before the cells)")
    return ", ".join(parts)


def _processes(results: Results) -> str:
    counts = Counter(len(c.process_medians_ns) for c in results.cells if c.ok)
    if results.schema_version < 2:
        return (
            "1 (a version 1 file: intervals from one process's samples, narrower than runs differ)"
        )
    launched = len(results.passes)
    listed = ", ".join(f"{n} cells with {k}" for k, n in sorted(counts.items(), reverse=True))
    return f"{listed}; {launched} process launch(es)"


def _topology(results: Results) -> str:
    cpus = (results.environment.get("topology") or {}).get("cpus") or []
    if not cpus:
        return "not recorded"
    cores = len({(c["package_id"], c["core_id"]) for c in cpus})
    packages = len({c["package_id"] for c in cpus})
    l3 = sorted({",".join(map(str, c["l3_cpus"])) for c in cpus if c["l3_cpus"]})
    shared = f"; L3 shared by CPUs {' / '.join(l3)}" if l3 else ""
    return f"{len(cpus)} CPUs on {cores} cores of {packages} package(s){shared}"


def _settings(results: Results) -> str:
    start = (results.environment.get("noise") or {}).get("start") or {}
    if not start:
        return "not recorded"
    affinity = start.get("affinity")
    return (
        f"THP {start.get('thp_enabled')} (defrag {start.get('thp_defrag')}), "
        f"governor {start.get('cpu_governor') or 'not exposed'}, ASLR {start.get('aslr')}, "
        f"CPUs allowed {len(affinity) if affinity else '?'}, hypervisor {start.get('hypervisor')}"
    )


def _noise(results: Results) -> str:
    noise = results.environment.get("noise") or {}
    start, end = noise.get("start") or {}, noise.get("end") or {}
    if not start:
        return "not recorded"
    parts = [
        f"load average {start.get('load_1min')} at the start, {end.get('load_1min', '?')} "
        "at the end"
    ]
    worst = worst_shares(results)
    if worst is not None:
        parts.append(
            f"worst group: {worst[0]:.0%} steal, {worst[1]:.0%} of the CPUs busy in other "
            f"processes; {len(noisy_groups(results))} noisy group(s)"
        )
    return "; ".join(parts)


def _intervals(results: Results) -> str:
    halves = sorted(h for c in results.cells if (h := c.relative_half_width) is not None)
    if not halves:
        return "none"
    wide = sum(h > WIDE_HALF_WIDTH for h in halves)
    return (
        f"median ±{halves[len(halves) // 2]:.1%} (95% interval of the median); {wide} of "
        f"{len(halves)} wider than ±{WIDE_HALF_WIDTH:.0%}"
    )


def _told_apart(results: Results) -> str:
    return resolution.sentence(results) or "nothing: no cell has three processes"


def _machine_speed(results: Results) -> str:
    speed = machine_speed.of(results)
    return speed.sentence() if speed else machine_speed.UNTOLD


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
