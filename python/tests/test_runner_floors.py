"""Native floors and the environment block: parsed right, missing said plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from interop_bench import native
from interop_bench.runner import environment, floors


def bench(run_name: str, aggregate: str, cpu_time: float, unit: str) -> dict:
    """One entry of Google Benchmark 1.7.1's JSON (repetitions, aggregates only); wall-clock
    benchmarks carry a "/real_time" suffix. Real time here is twice the CPU time, as on
    a busy machine: the floors must take the CPU time."""
    entry = {"run_name": run_name, "aggregate_name": aggregate, "cpu_time": cpu_time}
    return {**entry, "real_time": 2 * cpu_time, "time_unit": unit}


REPORT = {
    "context": {"num_cpus": 2},
    "benchmarks": [
        bench("kernel/sum/1000", "mean", 9.0, "ns"),
        bench("kernel/sum/1000", "median", 150.0, "ns"),
        bench("kernel/scale/1000000/real_time", "median", 0.7, "ms"),
        bench("kernel/sum/1000", "stddev", 1.0, "ns"),
        bench("roofline/read/268435456/real_time", "median", 10.0, "ms"),
        bench("roofline/memcpy/268435456", "median", 25.0, "ms"),
    ],
}


def test_parse_keeps_the_medians_in_ns_and_the_rooflines() -> None:
    parsed = floors.parse(REPORT)
    assert parsed["available"] is True and parsed["reason"] is None
    assert parsed["kernel_ns"] == {"sum": {"1000": 150.0}, "scale": {"1000000": 700_000.0}}
    assert parsed["read_bandwidth_bytes_per_s"] == pytest.approx(268435456 / 10e-3)
    assert parsed["memcpy_bandwidth_bytes_per_s"] == pytest.approx(268435456 / 25e-3)
    assert floors.kernel_ns(parsed, "sum", 1000) == 150.0
    assert floors.kernel_ns(parsed, "sum", 10) is None
    assert floors.kernel_ns(floors.unavailable("x"), "sum", 1000) is None


def test_a_report_without_kernels_is_unavailable() -> None:
    parsed = floors.parse({"benchmarks": []})
    assert parsed["available"] is False
    assert "no kernel benchmarks" in parsed["reason"]


def test_a_missing_executable_gives_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Path:
        raise native.NativeUnavailableError(f"executable {name!r} is not built")

    monkeypatch.setattr(native, "executable", missing)
    measured = floors.measure([1, 10], 0.01, 1 << 20)
    assert measured == floors.unavailable("executable 'ib_native_floors' is not built")


def test_the_installed_floors_run_on_the_given_sizes() -> None:
    try:
        native.executable(floors.EXECUTABLE)
    except native.NativeUnavailableError as error:
        pytest.skip(str(error))
    measured = floors.measure([1, 1000], 0.001, 1 << 24)
    assert measured["available"] is True, measured["reason"]
    assert set(measured["kernel_ns"]) == {"sum", "square", "matrix_sum", "scale"}
    assert set(measured["kernel_ns"]["sum"]) == {"1", "1000"}
    assert measured["read_bandwidth_bytes_per_s"] > 0


def test_git_state_outside_a_repository_is_null(tmp_path: Path) -> None:
    assert environment.git_state(str(tmp_path)) == {"commit": None, "dirty": None}


def test_environment_names_the_machine_and_the_build() -> None:
    env = environment.collect("quick", {"resolution_ns": 1.0, "loop_overhead_ns": 1.0}, {}, [])
    assert env["cpu_count"] and env["python"] and env["kernel"]
    assert env["versions"]["numpy"]
    info = environment.build_info()
    if info:  # the installed package carries cmake/BuildInfo.cmake's file
        assert env["compiler"] == info["compiler"] and "-O3" in env["compiler_flags"]


def test_timer_measurement_is_sane() -> None:
    timer = environment.measure_timer()
    assert timer["resolution_ns"] > 0
    assert 0 < timer["loop_overhead_ns"] < timer["resolution_ns"] * 10
