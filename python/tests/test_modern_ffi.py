"""What is specific to the dlpack, arrow and cython strategies, beyond the
conformance suite: the capsule protocols are followed to the letter (a DLPack
capsule is renamed "used_dltensor" and its deleter called once; Arrow structs
are moved out of their capsules and released once), results exported from C++
are freed exactly once, bad capsules are refused clearly, and the GIL is
released around large kernels.

Producers with counting callbacks are built here with ctypes, from the structs
of dlpack.h (0.6) and of the Arrow C Data Interface specification."""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from test_inprocess import _calls_overlapped_by_another_thread, _gil_holding_sum

from interop_bench import native, ops, strategies
from interop_bench.strategies import Strategy

# -- capsules from ctypes -----------------------------------------------------

_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_capsule_new.restype = ctypes.py_object
_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.argtypes = [ctypes.py_object]
_capsule_name.restype = ctypes.c_char_p


def _capsule(struct: ctypes.Structure, name: bytes) -> object:
    """A capsule over `struct` without a destructor: the test keeps `struct` alive."""
    return _capsule_new(ctypes.addressof(struct), name, None)


def _name_of(capsule: object) -> bytes:
    name: bytes = _capsule_name(capsule)
    return name


@pytest.fixture(scope="module")
def dlpack() -> Iterator[Strategy]:
    with strategies.get("dlpack") as s:
        yield s


@pytest.fixture(scope="module")
def arrow() -> Iterator[Strategy]:
    with strategies.get("arrow") as s:
        yield s


# -- DLPack -------------------------------------------------------------------

K_DL_CPU, K_DL_CUDA = 1, 2
K_DL_INT, K_DL_FLOAT = 0, 2


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int), ("device_id", ctypes.c_int)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLManagedTensor(ctypes.Structure):
    pass


DL_DELETER = ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensor))
DLManagedTensor._fields_ = [
    ("dl_tensor", DLTensor),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", DL_DELETER),
]


class CountingDLPackProducer:
    """Hands out one capsule over `values` (a float64 vector), with a deleter
    that counts its calls; fields of the tensor can be spoiled before use."""

    def __init__(self, values: np.ndarray, name: bytes = b"dltensor") -> None:
        self.values = values
        self.deleted = 0
        self.shape = (ctypes.c_int64 * 1)(values.size)
        self.strides = (ctypes.c_int64 * 1)(1)
        self.deleter = DL_DELETER(self._delete)
        tensor = DLTensor(
            data=values.ctypes.data,
            device=DLDevice(K_DL_CPU, 0),
            ndim=1,
            dtype=DLDataType(K_DL_FLOAT, 64, 1),
            shape=self.shape,
            strides=self.strides,
            byte_offset=0,
        )
        self.managed = DLManagedTensor(dl_tensor=tensor, manager_ctx=None, deleter=self.deleter)
        self.name = name
        self.capsule = _capsule(self.managed, name)

    def _delete(self, _managed: Any) -> None:
        self.deleted += 1

    def __dlpack__(self, **_kwargs: object) -> object:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (K_DL_CPU, 0)


def test_dlpack_capsule_is_renamed_and_its_deleter_called_once(dlpack: Strategy) -> None:
    producer = CountingDLPackProducer(ops.make_vector(100, seed=1))
    ops.check_sum(dlpack.sum(producer), producer.values)  # type: ignore[arg-type]
    assert _name_of(producer.capsule) == b"used_dltensor"
    assert producer.deleted == 1


def test_a_consumed_capsule_is_not_taken_twice(dlpack: Strategy) -> None:
    producer = CountingDLPackProducer(ops.make_vector(10))
    dlpack.sum(producer)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="already consumed"):
        dlpack.sum(producer)  # type: ignore[arg-type]
    assert producer.deleted == 1


@pytest.mark.parametrize(
    ("spoil", "error", "words"),
    [
        (lambda t: setattr(t.dtype, "code", K_DL_INT), TypeError, "float64"),
        (lambda t: setattr(t.dtype, "bits", 32), TypeError, "32 bits"),
        (lambda t: setattr(t.dtype, "lanes", 2), TypeError, "2 lanes"),
        (lambda t: setattr(t.device, "device_type", K_DL_CUDA), ValueError, "not the CPU"),
        (lambda t: setattr(t, "ndim", 2), ValueError, "1-D"),
        (lambda t: t.strides.__setitem__(0, 2), ValueError, "not contiguous"),
        (lambda t: setattr(t, "byte_offset", 3), ValueError, "aligned"),
    ],
)
def test_bad_dlpack_tensors_are_refused_and_still_deleted(
    dlpack: Strategy, spoil: Any, error: type[Exception], words: str
) -> None:
    producer = CountingDLPackProducer(ops.make_vector(10))
    spoil(producer.managed.dl_tensor)
    with pytest.raises(error, match=words):
        dlpack.sum(producer)  # type: ignore[arg-type]
    assert producer.deleted == 1, "a taken tensor is the consumer's to delete, refused or not"


@pytest.mark.parametrize(
    ("name", "words"),
    [(b"not_dltensor", "named 'dltensor'"), (b"dltensor_versioned", "unversioned")],
)
def test_capsules_of_other_names_are_refused_and_left_alone(
    dlpack: Strategy, name: bytes, words: str
) -> None:
    producer = CountingDLPackProducer(ops.make_vector(10), name=name)
    with pytest.raises(TypeError, match=words):
        dlpack.sum(producer)  # type: ignore[arg-type]
    assert _name_of(producer.capsule) == name
    assert producer.deleted == 0, "a capsule that was not taken stays its producer's"


def test_dlpack_honours_byte_offset_and_null_strides(dlpack: Strategy) -> None:
    values = ops.make_vector(10, seed=3)
    producer = CountingDLPackProducer(values)
    tensor = producer.managed.dl_tensor
    tensor.byte_offset = 2 * values.itemsize
    tensor.shape[0] = values.size - 2
    tensor.strides = None  # compact row-major
    ops.check_sum(dlpack.sum(producer), values[2:])  # type: ignore[arg-type]


def test_dlpack_refusals_say_what_is_wrong(dlpack: Strategy) -> None:
    with pytest.raises(TypeError, match=r"__dlpack__.*list"):
        dlpack.sum([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="code 2, 32 bits"):
        dlpack.sum(np.ones(3, dtype=np.float32))

    class NotACapsule:
        def __dlpack__(self) -> object:
            return 42

    with pytest.raises(TypeError, match="not a capsule"):
        dlpack.sum(NotACapsule())  # type: ignore[arg-type]


def test_unversioned_dlpack_cannot_carry_a_read_only_array(dlpack: Strategy) -> None:
    # NumPy refuses to export a read-only array as an unversioned capsule,
    # since DLPack < 1.0 cannot mark it read-only: for sum too.
    a = ops.make_vector(10)
    a.flags.writeable = False
    for op in ("sum", "square"):
        with pytest.raises(ValueError, match=f"{op}: .*readonly"):
            getattr(dlpack, op)(a)


def test_dlpack_results_are_freed_once_when_the_last_array_dies(dlpack: Strategy) -> None:
    module = native.extension("ib_dlpack")
    start = module.live_results()
    a = ops.make_vector(1000, seed=4)
    exporter = module.scale_exporter(a, 2.0)
    first, second = np.from_dlpack(exporter), np.from_dlpack(exporter)
    assert np.shares_memory(first, second), "np.from_dlpack copied the exporter's buffer"
    results = [dlpack.scale(a, 3.0) for _ in range(5)]
    assert module.live_results() == start + 6
    del exporter, first
    gc.collect()
    ops.check_array(second, a * 2.0, "a result whose exporter is gone")
    del second, results
    gc.collect()
    assert module.live_results() == start


def test_dlpack_exporter_answers_the_protocol() -> None:
    module = native.extension("ib_dlpack")
    start = module.live_results()
    exporter = module.scale_exporter(ops.make_vector(4), 2.0)
    assert exporter.__dlpack_device__() == (K_DL_CPU, 0)
    unconsumed = exporter.__dlpack__(max_version=(1, 0))
    assert _name_of(unconsumed) == b"dltensor"
    with pytest.raises(BufferError, match="CPU"):
        exporter.__dlpack__(dl_device=(K_DL_CUDA, 0))
    with pytest.raises(BufferError, match="copy"):
        exporter.__dlpack__(copy=True)
    with pytest.raises(BufferError, match="stream"):
        exporter.__dlpack__(stream=1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        exporter.__dlpack__(colour="blue")
    # A capsule nobody consumed still owns its tensor: dropping it calls the deleter.
    del exporter
    gc.collect()
    assert module.live_results() == start + 1
    del unconsumed
    assert module.live_results() == start


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
            _capsule(self.schema, b"arrow_schema"),
            _capsule(self.array, b"arrow_array"),
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
        (lambda p: setattr(p.schema, "format", b"f"), TypeError, "format 'f'"),
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
    with pytest.raises(TypeError, match=r"fixed-size list of float64 \(format '\+w:N'\)"):
        module.matrix_sum(pa.array(m.reshape(-1)))


# -- Cython ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "bad", "error", "words"),
    [
        ("sum", None, TypeError, "must not be None"),
        ("sum", np.ones(3, dtype=np.float32), ValueError, "dtype mismatch"),
        ("sum", np.arange(8.0)[::2], ValueError, "not C-contiguous"),
        ("square", np.arange(3.0), None, ""),
    ],
)
def test_cython_refusals_are_cythons_own(
    op: str, bad: Any, error: type[Exception] | None, words: str
) -> None:
    with strategies.get("cython") as s:
        if error is None:
            bad.flags.writeable = False
            error, words = ValueError, "read-only"
        with pytest.raises(error, match=words):
            getattr(s, op)(bad)


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


@pytest.mark.parametrize("name", ["dlpack", "arrow", "cython"])
def test_gil_is_released_around_a_large_sum(name: str) -> None:
    large = ops.make_vector(10_000_000, seed=5)
    attempts = 5
    held_sum = _gil_holding_sum()
    held = _calls_overlapped_by_another_thread(lambda: held_sum(large), attempts)
    with strategies.get(name) as s:
        released = _calls_overlapped_by_another_thread(lambda: s.sum(large), attempts)
    assert held == 0, "the control (ctypes.PyDLL keeps the GIL) was overlapped: the test is broken"
    assert released > attempts // 2, f"{name}: another thread ran during {released} of {attempts}"
