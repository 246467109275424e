"""The runner on the dtype axis and the frame op: cells keyed by label, inputs,
factors, pools and checks of the label's own dtype, the kernel of that dtype
timed beside them, and refusals recorded as errors while the run goes on."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from fake_strategies import Float64Only
from runner_helpers import cell, run_in_process

from interop_bench import cli, ops, results_file
from interop_bench.runner import floor_turns, instructions
from interop_bench.runner import request as run_request
from interop_bench.runner.workload import Workload, identity
from interop_bench.strategies.numpy import NumpyStrategy

VGA_BYTES = 480 * 640 * 3


class RecordingSquare(NumpyStrategy):
    """Records the dtype of every array square is given."""

    name = "recording"
    seen: ClassVar[set[str]] = set()

    def square(self, a: np.ndarray) -> None:
        RecordingSquare.seen.add(a.dtype.name)
        super().square(a)


class ZeroesItsInput(NumpyStrategy):
    """Answers sum right, then writes over the caller's array."""

    name = "zeroes-input"

    def sum(self, a: np.ndarray) -> float | int:
        total = super().sum(a)
        a[...] = 0
        return total


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> results_file.Document:
    return run_in_process(
        tmp_path_factory.mktemp("dtypes") / "dtypes.json",
        ("numpy", "float64-only"),
        ("sum", "square", "scale", "frame"),
        (1, 300),
        factories={"float64-only": Float64Only},
        with_floors=True,
        dtypes=("float64", "int16", "uint8"),
        resolutions=("vga",),
    )


def test_every_label_is_a_cell_with_its_dtype_and_bytes(measured: results_file.Document) -> None:
    results_file.check(measured)
    for label in ("sum", "sum:int16", "sum:uint8", "square:uint8", "scale:int16"):
        _, dtype = ops.parse_label(label)
        for size in (1, 300):
            found = cell(measured, "numpy", label, size)
            assert found["status"] == "ok", found["reason"]
            assert (found["dtype"], found["bytes"]) == (dtype, size * ops.item_bytes(dtype))
    frame = cell(measured, "numpy", "frame", VGA_BYTES)
    assert frame["status"] == "ok", frame["reason"]
    assert (frame["dtype"], frame["resolution"], frame["width"], frame["height"]) == (
        "uint8",
        "vga",
        640,
        480,
    )


def test_the_kernel_of_each_dtype_and_of_frame_gives_x_kernel(
    measured: results_file.Document,
) -> None:
    for label, size in (("sum:uint8", 300), ("square:int16", 300), ("frame", VGA_BYTES)):
        kernel = cell(measured, "kernel", label, size)
        assert kernel["status"] == "ok", kernel["reason"]
        stats = cell(measured, "numpy", label, size)["stats"]
        assert stats["kernel_ratio"] is not None  # type: ignore[index]


def test_a_strategy_that_refuses_a_dtype_has_error_cells_and_the_run_goes_on(
    measured: results_file.Document,
) -> None:
    for label, size in (("sum:uint8", 1), ("scale:int16", 300), ("frame", VGA_BYTES)):
        refused = cell(measured, "float64-only", label, size)
        assert refused["status"] == "error"
        assert str(refused["reason"]).startswith("TypeError: ")
    assert "uint8" in str(cell(measured, "float64-only", "sum:uint8", 1)["reason"])
    assert "frames" in str(cell(measured, "float64-only", "frame", VGA_BYTES)["reason"])
    assert cell(measured, "float64-only", "sum", 300)["status"] == "ok"
    assert measured["complete"]


def test_square_samples_fresh_copies_of_the_labels_dtype(tmp_path: Path) -> None:
    RecordingSquare.seen = set()
    document = run_in_process(
        tmp_path / "square.json",
        ("recording",),
        ("square",),
        (10,),
        factories={"recording": RecordingSquare},
        dtypes=("int16", "uint8"),
    )
    assert {c["status"] for c in document["cells"]} == {"ok"}
    assert RecordingSquare.seen == {"int16", "uint8"}  # the pools too, not float64


def test_a_uint8_input_written_over_is_incorrect(tmp_path: Path) -> None:
    """The "input modified" check compares the dtype's own bits (a uint64 view of
    300 bytes does not exist, and would have made this an error)."""
    document = run_in_process(
        tmp_path / "modified.json",
        ("zeroes-input",),
        ("sum",),
        (300,),
        factories={"zeroes-input": ZeroesItsInput},
        dtypes=("uint8",),
    )
    found = cell(document, "zeroes-input", "sum:uint8", 300)
    assert (found["status"], found["reason"]) == ("incorrect", "sum:uint8 modified its input array")


@pytest.mark.parametrize(
    "label",
    [
        "sum",
        "sum:float32",
        "sum:int32",
        "sum:int16",
        "sum:uint8",
        "matrix_sum:uint8",
        "square:int32",
        "square:float32",
        "scale:int16",
        "scale:uint8",
        "scale:float32",
        "frame",
    ],
)
def test_the_kernel_alone_is_checked_and_timed_in_every_dtype(label: str) -> None:
    size = VGA_BYTES if label == "frame" else 1000
    bound = floor_turns.KernelBound(Workload(label, size, 0), floor_turns.timer_module())
    bound.check()  # against NumPy: raises WrongAnswerError on a wrong kernel
    assert bound.sample_ns(2) > 0


def test_the_native_timer_runs_the_arrays_own_type() -> None:
    timer = floor_turns.timer_module()
    values = ops.make_vector(1000, 1, "uint8")
    total = timer.sum(values)
    assert isinstance(total, int) and total == int(np.sum(values))  # never through a float
    signed = ops.make_vector(1000, 1, "int32")
    assert timer.sum(signed) == int(np.sum(signed))
    out = np.zeros_like(values)
    timer.scale(values, 3, out)
    assert np.array_equal(out, values * 3)  # wraps around as NumPy does
    with pytest.raises(TypeError, match="float64, float32, int32, int16 or uint8"):
        timer.sum(np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="factor 300 does not fit"):
        timer.scale(values, 300, out)
    with pytest.raises(ValueError, match="differ in type or size"):
        timer.scale(values, 3, np.zeros(1000, np.int16))


def test_the_native_frame_reads_a_cropped_view_in_place() -> None:
    timer = floor_turns.timer_module()
    image = ops.make_frame(12, 20, seed=3)[:, 4:15]  # rows 60 bytes apart, 11 pixels wide
    gray = np.zeros((12, 11), np.uint8)
    timer.frame(image, gray)
    assert np.array_equal(gray, ops.gray_reference(image))
    with pytest.raises(ValueError, match="not H x W of the frame"):
        timer.frame(image, np.zeros((12, 12), np.uint8))
    with pytest.raises(ValueError, match="packed pixels"):
        timer.frame(np.zeros((4, 4, 4), np.uint8), np.zeros((4, 4), np.uint8))


def test_the_read_probe_reads_whole_words_of_any_dtype() -> None:
    for size in (1, 300):  # 1 byte: no word at all; 300 bytes: 37 words
        probe = floor_turns.ProbeBound(
            "read-probe", Workload("sum:uint8", size, 0), floor_turns.timer_module()
        )
        probe.check()
        assert probe.sample_ns(1) >= 0


def test_identity_names_a_frame_by_its_resolution() -> None:
    assert identity("sum:int16", 10) == {
        "op": "sum:int16",
        "dtype": "int16",
        "size": 10,
        "bytes": 20,
    }
    assert identity("sum", 10)["bytes"] == 80
    assert identity("frame", ops.parse_size("4k")) == {
        "op": "frame",
        "dtype": "uint8",
        "size": 2160 * 3840 * 3,
        "bytes": 2160 * 3840 * 3,
        "resolution": "4k",
        "width": 3840,
        "height": 2160,
    }
    with pytest.raises(ValueError, match="unknown dtype"):
        identity("sum:float16", 10)


def test_a_resumed_request_keeps_its_dtypes_and_an_old_one_is_float64(tmp_path: Path) -> None:
    document = run_in_process(
        tmp_path / "resume.json",
        ("numpy",),
        ("sum", "frame"),
        (1,),
        dtypes=("uint8",),
        resolutions=("vga",),
    )
    resumed = run_request.stored(document["request"])
    assert (resumed.dtypes, resumed.resolutions) == (("uint8",), ("vga",))
    assert resumed.groups() == [("sum:uint8", 1), ("frame", VGA_BYTES)]
    for key in ("dtypes", "resolutions"):  # a request written before the dtype axis
        del document["request"][key]
    old = run_request.stored(document["request"])
    assert (old.dtypes, old.resolutions) == (("float64",), ())


def test_instruction_counts_are_keyed_by_label() -> None:
    regions = {"numpy|sum:uint8|1|0|10": 1000, "numpy|sum:uint8|1|0|20": 1500}
    assert instructions._per_call(regions) == {("numpy", "sum:uint8", 1): 50.0}


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("ab", ["--baseline", "HEAD", "--dtypes", "float16"], "unknown dtype 'float16'"),
        ("aa", ["--ops", "frame", "--sizes", "1e3"], "frame runs at frame resolutions"),
    ],
)
def test_ab_and_aa_refuse_a_bad_selection_before_any_build_or_run(
    command: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([command, *args]) == 2
    assert message in capsys.readouterr().err
