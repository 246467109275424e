"""The Arrow C Data Interface, beyond the conformance suite: structs moved out of
their capsules and released once, results imported without a copy and
released once, bad arrays refused clearly; and both capsule producers (DLPack,
Arrow) let go of the caller's array.

Producers with counting callbacks are built here with ctypes, from the structs
of the Arrow C Data Interface specification."""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from capsules import capsule

from interop_bench import native, ops, strategies
from interop_bench.strategies import Strategy


@pytest.fixture(scope="module")
def arrow() -> Iterator[Strategy]:
    with strategies.get("arrow") as s:
        yield s


# -- Arrow C Data Interface -----------------------------------------------------


class ArrowSchema(ctypes.Structure):
    pass


class ArrowArray(ctypes.Structure):
    pass


SCHEMA_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowSchema))
ARRAY_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArray))
ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.c_void_p),
    ("release", SCHEMA_RELEASE),
    ("private_data", ctypes.c_void_p),
]
ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.c_void_p),
    ("release", ARRAY_RELEASE),
    ("private_data", ctypes.c_void_p),
]


class CountingArrowProducer:
    """A float64 Arrow array over `values` whose release callbacks count their
    calls; its fields can be spoiled before use."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.released = {"schema": 0, "array": 0}
        self.schema_release = SCHEMA_RELEASE(lambda _s: self._count("schema"))
        self.array_release = ARRAY_RELEASE(lambda _a: self._count("array"))
        self.buffers = (ctypes.c_void_p * 2)(None, values.ctypes.data)
        self.schema = ArrowSchema(format=b"g", name=b"", release=self.schema_release)
        self.array = ArrowArray(
            length=values.size, n_buffers=2, buffers=self.buffers, release=self.array_release
        )
        self.capsules = (
            capsule(self.schema, b"arrow_schema"),
            capsule(self.array, b"arrow_array"),
        )

    def _count(self, which: str) -> None:
        self.released[which] += 1

    def __arrow_c_array__(self, requested_schema: object = None) -> tuple[object, object]:
        return self.capsules


def _arrow_sum(array: object) -> float:
    total: float = native.extension("ib_arrow").sum(array)
    return total


def test_arrow_structs_are_moved_out_and_released_once() -> None:
    producer = CountingArrowProducer(ops.make_vector(100, seed=5))
    ops.check_sum(_arrow_sum(producer), producer.values)
    assert producer.released == {"schema": 1, "array": 1}
    # Moved: the producer's structs are marked released, so nothing releases them again.
    assert not producer.schema.release
    assert not producer.array.release
    with pytest.raises(ValueError, match="already consumed"):
        _arrow_sum(producer)
    assert producer.released == {"schema": 1, "array": 1}


@pytest.mark.parametrize(
    ("spoil", "error", "words"),
    [
        (lambda p: setattr(p.schema, "format", b"e"), TypeError, "format 'e'"),
        (lambda p: setattr(p.schema, "format", b"l"), TypeError, "format 'l'"),
        (lambda p: setattr(p.array, "null_count", 3), ValueError, "nulls"),
        (lambda p: setattr(p.array, "n_buffers", 1), ValueError, "2 buffers"),
        (lambda p: p.buffers.__setitem__(1, None), ValueError, "NULL"),
        (lambda p: setattr(p.array, "offset", -1), ValueError, "negative"),
    ],
)
def test_bad_arrow_arrays_are_refused_and_still_released(
    spoil: Any, error: type[Exception], words: str
) -> None:
    producer = CountingArrowProducer(ops.make_vector(10))
    spoil(producer)
    with pytest.raises(error, match=words):
        _arrow_sum(producer)
    assert producer.released == {"schema": 1, "array": 1}


def test_arrow_capsules_of_other_names_are_refused_and_left_alone() -> None:
    producer = CountingArrowProducer(ops.make_vector(10))
    producer.capsules = producer.capsules[::-1]
    with pytest.raises(TypeError, match="named 'arrow_schema', got 'arrow_array'"):
        _arrow_sum(producer)
    assert producer.released == {"schema": 0, "array": 0}


def test_arrow_honours_the_offset() -> None:
    values = ops.make_vector(10, seed=6)
    producer = CountingArrowProducer(values)
    producer.array.offset = 3
    producer.array.length = 7
    ops.check_sum(_arrow_sum(producer), values[3:])
    ops.check_sum(_arrow_sum(pa.array(values).slice(4)), values[4:])


def test_arrow_refuses_nulls_and_other_types() -> None:
    with pytest.raises(ValueError, match="nulls are not supported"):
        _arrow_sum(pa.array([1.0, None, 3.0]))
    with pytest.raises(TypeError, match="format 'l'"):
        _arrow_sum(pa.array([1, 2, 3]))
    with pytest.raises(TypeError, match=r"__arrow_c_array__.*list"):
        _arrow_sum([1.0, 2.0])


def test_arrow_results_are_imported_without_a_copy_and_released_once(arrow: Strategy) -> None:
    module = native.extension("ib_arrow")
    start = module.live_results()
    a = ops.make_vector(1000, seed=8)
    imported = pa.Array._import_from_c_capsule(*module.scale(pa.array(a), 2.0))
    as_numpy = imported.to_numpy(zero_copy_only=True)
    assert imported.buffers()[1].address == as_numpy.ctypes.data
    ops.check_array(as_numpy, a * 2.0, "scale")
    results = [arrow.scale(a, 3.0) for _ in range(5)]
    module.scale(pa.array(a), 4.0)  # capsules dropped unread: their destructors release
    # pyarrow releases a schema once it has read the type; each array lives on.
    assert module.live_results() == (start[0], start[1] + 6)
    del imported, as_numpy, results
    gc.collect()
    assert module.live_results() == start


def test_arrow_matrix_is_a_fixed_size_list(arrow: Strategy) -> None:
    m = ops.make_vector(12, seed=9).reshape(3, 4)
    rows = pa.FixedSizeListArray.from_arrays(pa.array(m.reshape(-1)), 4)
    module = native.extension("ib_arrow")
    ops.check_sum(module.matrix_sum(rows.slice(1)), m[1:])
    with pytest.raises(TypeError, match=r"fixed-size list of a number type \(format '\+w:N'\)"):
        module.matrix_sum(pa.array(m.reshape(-1)))
    ints = np.arange(12, dtype=np.int16).reshape(3, 4)
    int_rows = pa.FixedSizeListArray.from_arrays(pa.array(ints.reshape(-1)), 4)
    assert module.matrix_sum(int_rows.slice(2)) == int(ints[2:].sum())


@pytest.mark.parametrize(
    ("format", "dtype"), [(b"f", np.float32), (b"i", np.int32), (b"s", np.int16), (b"C", np.uint8)]
)
def test_the_arrow_format_picks_the_kernel(format: bytes, dtype: type[np.generic]) -> None:
    # The same bytes relabelled: the sum follows the schema's format string, as
    # np.sum of the bytes viewed as that dtype (exactly, for the integer types).
    values = ops.make_vector(10, seed=7)
    as_dtype = values.view(dtype)
    producer = CountingArrowProducer(values)
    producer.schema.format = format
    producer.array.length = as_dtype.size
    total = _arrow_sum(producer)
    ops.check_sum(total, as_dtype)
    assert producer.released == {"schema": 1, "array": 1}


def _frame_rows(image: np.ndarray) -> Any:
    pixels = pa.FixedSizeListArray.from_arrays(pa.array(image.reshape(-1)), 3)
    return pa.FixedSizeListArray.from_arrays(pixels, image.shape[1])


def test_arrow_frame_is_nested_fixed_size_lists(arrow: Strategy) -> None:
    module = native.extension("ib_arrow")
    image = ops.make_frame(6, 5, seed=3)
    rows = _frame_rows(image)
    gray = pa.Array._import_from_c_capsule(*module.frame(rows.slice(2))).to_numpy()
    ops.check_array(gray.reshape(4, 5), ops.gray_reference(image[2:]), "frame of rows [2:]")
    # The pixel list sliced too: its own offset comes on top of the rows'.
    pixels = pa.FixedSizeListArray.from_arrays(pa.array(image.reshape(-1)), 3).slice(5)
    shifted = pa.FixedSizeListArray.from_arrays(pixels, 5).slice(1)
    expected = ops.gray_reference(image.reshape(-1, 3)[10:].reshape(4, 5, 3))
    gray = pa.Array._import_from_c_capsule(*module.frame(shifted)).to_numpy()
    ops.check_array(gray.reshape(4, 5), expected, "frame of offset pixels")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda im: pa.array(im.reshape(-1)), "'\\+w:W' of '\\+w:3'"),
        (
            lambda im: pa.FixedSizeListArray.from_arrays(pa.array(im.reshape(-1)), 15),
            "got format 'C'",
        ),
        (
            lambda im: pa.FixedSizeListArray.from_arrays(
                pa.FixedSizeListArray.from_arrays(pa.array(im.reshape(-1)), 5), 3
            ),
            "got format '\\+w:5'",
        ),
        (lambda im: _frame_rows(im.astype(np.int16)), "channels of int16"),
    ],
)
def test_arrow_frames_of_other_shapes_are_refused(make: Any, words: str) -> None:
    module = native.extension("ib_arrow")
    with pytest.raises(TypeError, match=words):
        module.frame(make(ops.make_frame(4, 5, seed=1)))


# -- all three ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dlpack", "arrow"])
def test_producers_lose_their_hold_on_the_callers_array(name: str) -> None:
    # NumPy's DLPack deleter drops the reference its tensor holds on the array;
    # pa.array(a) holds `a` through its buffer until the exported struct that
    # shares it is released. A missing deleter or release call leaves the count
    # higher, a second one lower.
    a = ops.make_vector(1000, seed=2)
    references = sys.getrefcount(a)
    with strategies.get(name) as s:
        for op in ("sum", "square", "data_address"):
            getattr(s, op)(a)
        s.scale(a, 2.0)
        s.matrix_sum(a.reshape(10, 100))
    gc.collect()
    assert sys.getrefcount(a) == references
