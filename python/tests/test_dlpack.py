"""DLPack, beyond the conformance suite: the capsule protocol followed to the
letter (a capsule is renamed "used_dltensor" and its deleter called once),
results exported from C++ freed exactly once, bad capsules refused clearly.

Producers with counting callbacks are built here with ctypes, from the structs
of dlpack.h (0.6)."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from capsules import capsule, name_of

from interop_bench import native, ops, strategies
from interop_bench.strategies import Strategy


@pytest.fixture(scope="module")
def dlpack() -> Iterator[Strategy]:
    with strategies.get("dlpack") as s:
        yield s


# -- DLPack -------------------------------------------------------------------

K_DL_CPU, K_DL_CUDA = 1, 2
K_DL_INT, K_DL_UINT, K_DL_FLOAT = 0, 1, 2


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
        self.capsule = capsule(self.managed, name)

    def _delete(self, _managed: Any) -> None:
        self.deleted += 1

    def __dlpack__(self, **_kwargs: object) -> object:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (K_DL_CPU, 0)


def test_dlpack_capsule_is_renamed_and_its_deleter_called_once(dlpack: Strategy) -> None:
    producer = CountingDLPackProducer(ops.make_vector(100, seed=1))
    ops.check_sum(dlpack.sum(producer), producer.values)  # type: ignore[arg-type]
    assert name_of(producer.capsule) == b"used_dltensor"
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
        (lambda t: setattr(t.dtype, "bits", 16), TypeError, "16 bits"),
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
    assert name_of(producer.capsule) == name
    assert producer.deleted == 0, "a capsule that was not taken stays its producer's"


def test_dlpack_honours_byte_offset_and_null_strides(dlpack: Strategy) -> None:
    values = ops.make_vector(10, seed=3)
    producer = CountingDLPackProducer(values)
    tensor = producer.managed.dl_tensor
    tensor.byte_offset = 2 * values.itemsize
    tensor.shape[0] = values.size - 2
    tensor.strides = None  # compact row-major
    ops.check_sum(dlpack.sum(producer), values[2:])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "bits", "dtype"),
    [(K_DL_INT, 32, np.int32), (K_DL_INT, 16, np.int16), (K_DL_UINT, 8, np.uint8)],
)
def test_the_dlpack_dtype_picks_the_kernel(
    dlpack: Strategy, code: int, bits: int, dtype: type[np.generic]
) -> None:
    # The same bytes relabelled: the sum follows the tensor's DLDataType (its
    # code and bits), as np.sum of the bytes viewed as that dtype, exactly.
    values = ops.make_vector(10, seed=7)
    producer = CountingDLPackProducer(values)
    tensor = producer.managed.dl_tensor
    tensor.dtype.code = code
    tensor.dtype.bits = bits
    tensor.shape[0] = values.nbytes * 8 // bits
    tensor.strides = None
    total = dlpack.sum(producer)  # type: ignore[arg-type]
    assert type(total) is int and total == int(values.view(dtype).sum())
    assert producer.deleted == 1


def test_dlpack_refusals_say_what_is_wrong(dlpack: Strategy) -> None:
    with pytest.raises(TypeError, match=r"__dlpack__.*list"):
        dlpack.sum([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="code 2, 16 bits"):
        dlpack.sum(np.ones(3, dtype=np.float16))

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
    assert name_of(unconsumed) == b"dltensor"
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
