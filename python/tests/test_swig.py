"""What is specific to `swig` beyond the conformance suite: the functions are the
extension's own (-builtin, no Python proxy per call), its typemaps speak the buffer
protocol (any float64 exporter, not only NumPy) and release every buffer they took,
on the paths that fail too, and its refusals name the operation."""

from __future__ import annotations

import array
import tracemalloc
import types

import numpy as np
import pytest

from interop_bench import native, ops, strategies


def test_swig_functions_are_the_extensions_own() -> None:
    proxy = native.extension("ib_swig")
    extension = native.extension("_ib_swig")
    with strategies.get("swig") as s:
        for name in ("sum", "square", "matrix_sum", "scale", "data_address", "frame"):
            bound = getattr(s, name)
            assert isinstance(bound, types.BuiltinFunctionType), f"{name} is {bound!r}"
            assert bound is getattr(extension, name) is getattr(proxy, name)


def test_swig_typemaps_take_any_buffer_of_the_five_formats() -> None:
    values = array.array("d", [1.0, 2.5, 4.0])
    with strategies.get("swig") as s:
        assert s.sum(values) == 7.5
        s.square(values)
        assert list(values) == [1.0, 6.25, 16.0]
        assert s.data_address(values) == values.buffer_info()[0]
        assert s.sum(bytearray(b"\x01\xff")) == 256  # bytes are uint8
        shorts = array.array("h", [300, -2])
        s.square(shorts)
        assert list(shorts) == [300 * 300 - 65536, 4]  # int16 wraps around, as NumPy's
        with pytest.raises(TypeError, match=r"sum: expected dtype float64.*format 'q'"):
            s.sum(array.array("q", [1]))


def test_swig_releases_the_buffer_on_every_path() -> None:
    # array.array refuses to grow while a buffer of it is exported: each append
    # below fails if a typemap kept the buffer it took.
    values = array.array("d", [1.0, 2.0])
    with strategies.get("swig") as s:
        ops.check_sum(s.sum(values), np.asarray(values))
        values.append(3.0)
        # The factor is read after the buffer is taken and the result allocated.
        with pytest.raises(TypeError, match="scale factor"):
            s.scale(values, "2")
        values.append(4.0)
        with pytest.raises(ValueError, match="matrix_sum: expected a 2-D array, got 1-D"):
            s.matrix_sum(values)
        values.append(5.0)
        np.testing.assert_array_equal(s.scale(values, 2.0), np.asarray(values) * 2.0)
        values.append(6.0)


def test_swig_frees_the_result_when_the_factor_is_refused() -> None:
    # scale's typemap allocates the result before the factor is read; NumPy's
    # allocations are traced, so a result left behind shows as traced memory.
    a = ops.make_vector(1_000_000)
    with strategies.get("swig") as s:
        tracemalloc.start()
        try:
            with pytest.raises(TypeError, match="scale factor"):
                s.scale(a, None)
            left, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak >= a.nbytes, "the result was not allocated before the refusal"
    assert left < a.nbytes // 2, "the refused call left its result behind"


@pytest.mark.parametrize(
    ("op", "bad", "error", "words"),
    [
        ("sum", np.ones(3, dtype=np.float16), TypeError, "sum: expected dtype float64"),
        ("square", np.ones(3, dtype=np.int64), TypeError, "square: expected dtype float64"),
        ("scale", np.ones(3, dtype=np.uint8), TypeError, "scale factor: an integer array is"),
        ("scale", np.arange(8.0)[::2], ValueError, "scale: ndarray is not C-contiguous"),
        ("sum", np.ones((2, 2)), ValueError, "sum: expected a 1-D array, got 2-D"),
        ("square", None, TypeError, r"square: expected a numpy.ndarray .*, got NoneType"),
    ],
)
def test_swig_refusals_name_the_operation(
    op: str, bad: object, error: type[Exception], words: str
) -> None:
    with strategies.get("swig") as s, pytest.raises(error, match=words):
        getattr(s, op)(*((bad, 2.0) if op == "scale" else (bad,)))


def test_swig_scale_factor_must_fit_the_dtype() -> None:
    with strategies.get("swig") as s:
        with pytest.raises(ValueError, match="scale factor: the integer does not fit"):
            s.scale(np.ones(3, dtype=np.int16), 40_000)
        with pytest.raises(ValueError, match="scale factor: the integer does not fit"):
            s.scale(np.ones(3, dtype=np.uint8), -1)
        np.testing.assert_array_equal(s.scale(np.ones(3, dtype=np.uint8), np.uint8(255)), 255)


def test_swig_refuses_to_square_a_read_only_array() -> None:
    a = ops.make_vector(4)
    a.flags.writeable = False
    with strategies.get("swig") as s, pytest.raises(ValueError, match=r"square: .*read-only"):
        s.square(a)
