"""The `environment` block of a results file: machine, build, versions, timer.

Everything here is best effort: a fact the machine cannot tell is null, never
a guess, and nothing here raises.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import socket
import subprocess
from importlib import metadata
from pathlib import Path
from statistics import median
from time import perf_counter_ns
from typing import Any

from interop_bench import native
from interop_bench.runner import noise, placement
from interop_bench.runner.timing import empty_loop_ns

BUILD_INFO = "build_info.json"  # written by cmake/BuildInfo.cmake
PYTHON_PACKAGES = (
    "numpy",
    "pybind11",
    "nanobind",
    "cython",
    "cffi",
    "orjson",
    "msgpack",
    "pyarrow",
    "protobuf",
    "pycapnp",
    "pyzmq",
    "cppyy",
    "cppyy-cling",
    "grpcio",
)
_TIMER_READINGS = 20_000
_LOOP_CALLS = 200_000
_LOOP_REPEATS = 7


def host() -> str:
    return socket.gethostname()


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def cpu_model() -> str | None:
    text = _read("/proc/cpuinfo") or ""
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else (platform.processor() or None)


def memory_bytes(key: str = "MemTotal") -> int | None:
    """A /proc/meminfo field in bytes (MemTotal, MemAvailable), or None."""
    match = re.search(rf"^{key}:\s+(\d+)\s+kB", _read("/proc/meminfo") or "", re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def os_name() -> str:
    match = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', _read("/etc/os-release") or "", re.MULTILINE)
    return match.group(1) if match else platform.platform()


def build_info() -> dict[str, Any]:
    """What cmake/BuildInfo.cmake recorded about the native build, or {}."""
    text = _read(str(native.NATIVE_DIR / BUILD_INFO))
    try:
        info = json.loads(text) if text else {}
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


def versions(build: dict[str, Any]) -> dict[str, str]:
    """Python packages as installed; C++ libraries as compiled against."""
    installed: dict[str, str] = {}
    for package in (*PYTHON_PACKAGES, "flatbuffers"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            installed[package] = metadata.version(package)
    found = python_versions(installed)
    found.update({k: str(v) for k, v in dict(build.get("versions") or {}).items()})
    return found


def python_versions(installed: dict[str, str]) -> dict[str, str]:
    """The recorded Python packages out of `installed` (distribution -> version).
    The Python flatbuffers package is `flatbuffers_python`: `flatbuffers` is the
    C++ library the native side uses."""
    found = {package: installed[package] for package in PYTHON_PACKAGES if package in installed}
    if "flatbuffers" in installed:
        found["flatbuffers_python"] = installed["flatbuffers"]
    return found


def _git(source_dir: str, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", source_dir, *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(source_dir: str) -> dict[str, Any]:
    """The commit of the source tree and whether tracked files differ from it."""
    commit = _git(source_dir, "rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = _git(source_dir, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit.strip(), "dirty": None if status is None else bool(status.strip())}


def measure_timer() -> dict[str, float]:
    """perf_counter_ns's effective resolution (the smallest step two readings
    show) and the per-iteration cost of the empty timing loop."""
    steps = []
    for _ in range(_TIMER_READINGS):
        first = perf_counter_ns()
        second = perf_counter_ns()
        while second == first:
            second = perf_counter_ns()
        steps.append(second - first)
    loop_ns = median(empty_loop_ns(_LOOP_CALLS) / _LOOP_CALLS for _ in range(_LOOP_REPEATS))
    return {"resolution_ns": float(min(steps)), "loop_overhead_ns": float(loop_ns)}


def collect(
    profile: str, timer: dict[str, float], floors: dict[str, Any], command_line: list[str]
) -> dict[str, Any]:
    """The whole `environment` block."""
    build = build_info()
    source_dir = str(build.get("source_dir") or os.getcwd())
    return {
        "host": host(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_bytes": memory_bytes(),
        "kernel": platform.release(),
        "os": os_name(),
        "compiler": build.get("compiler"),
        "compiler_flags": build.get("compiler_flags"),
        "python": platform.python_version(),
        "versions": versions(build),
        "git": git_state(source_dir) if Path(source_dir).is_dir() else git_state(os.getcwd()),
        "profile": profile,
        "command_line": command_line,
        "timer": timer,
        "floors": floors,
        "noise": {"start": noise.snapshot(), "end": None},
        "topology": placement.topology_json(),
    }
