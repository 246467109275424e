"""What is specific to `cppyy` beyond the conformance suite: why its adapter
validates in Python (cppyy alone writes into a read-only array and speaks of
"buffer or nullptr"), the GIL-releasing twins and their threshold, the kernels
reached in libib_cppyy_kernels.so, each dtype through its own instantiation.
(Start-up: test_startup.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import cppyy
import numpy as np
import pytest

from interop_bench import ops, strategies
from interop_bench.strategies import gil
from interop_bench.strategies.cppyy import CPP_TYPES, FRAME_FUNCTIONS, FUNCTIONS, CppyyStrategy


@pytest.fixture(scope="module")
def cppyy_strategy() -> Iterator[CppyyStrategy]:
    with strategies.get("cppyy") as s:
        assert isinstance(s, CppyyStrategy)
        yield s


def test_cppyy_alone_would_square_a_read_only_array(cppyy_strategy: CppyyStrategy) -> None:
    # What the adapter's validation is for: cppyy checks a buffer's format, not
    # whether it may be written.
    a = np.arange(3.0)
    a.flags.writeable = False
    cppyy_strategy._adapter.Typed["double"].square(a, a.size)
    np.testing.assert_array_equal(a, [0.0, 1.0, 4.0])
    b = np.arange(3.0)
    b.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        cppyy_strategy.square(b)
    np.testing.assert_array_equal(b, [0.0, 1.0, 2.0])


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (np.ones(3, dtype=np.float16), TypeError, "expected dtype float64"),
        (np.arange(8.0)[::2], ValueError, "not contiguous"),
        (np.ones((2, 2)), ValueError, "expected a 1-D array"),
        ([1.0, 2.0], TypeError, "expected a numpy.ndarray"),
    ],
)
def test_cppyy_refusals_are_the_validations_not_cppyys(
    cppyy_strategy: CppyyStrategy, bad: object, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words) as caught:
        cppyy_strategy.sum(bad)  # type: ignore[arg-type]
    assert "buffer or nullptr" not in str(caught.value)


def test_cppyy_twins_release_the_gil_from_the_bindings_threshold(
    cppyy_strategy: CppyyStrategy,
) -> None:
    pairs = [*cppyy_strategy._typed.values()]
    assert len(pairs) == len(ops.DTYPES)
    for held, released in pairs:
        for name in FUNCTIONS:
            assert getattr(released, name).__release_gil__, name
            assert not getattr(held, name).__release_gil__, name
    held_frames, released_frames = cppyy_strategy._frames
    for name in FRAME_FUNCTIONS:
        assert getattr(released_frames, name).__release_gil__, name
        assert not getattr(held_frames, name).__release_gil__, name
    assert cppyy_strategy._release_from == gil.release_threshold_elements()


@pytest.mark.parametrize("dtype", ops.DTYPES)
def test_cppyy_calls_each_dtypes_own_instantiation(
    cppyy_strategy: CppyyStrategy, dtype: ops.DType
) -> None:
    # Typed<T> of the dtype's C++ type: handed another dtype's buffer, cppyy
    # refuses it (the format is checked), so a call that works used its own.
    held, released = cppyy_strategy._typed[np.dtype(dtype).char]
    assert held is cppyy_strategy._adapter.Typed[CPP_TYPES[dtype]]
    assert released is cppyy_strategy._adapter.Released[CPP_TYPES[dtype]]
    a = ops.make_vector(10, seed=3, dtype=dtype)
    ops.check_sum(held.sum(a, a.size), a)
    other = ops.make_vector(10, dtype="float64" if dtype != "float64" else "float32")
    with pytest.raises(TypeError, match="buffer"):
        held.sum(other, other.size)


def test_cppyy_calls_the_kernels_of_the_shared_library(cppyy_strategy: CppyyStrategy) -> None:
    kernels = cppyy.gbl.interop_bench.kernels
    m = ops.make_input("matrix_sum", 12, seed=1)
    ops.check_sum(kernels.matrix_sum(m, *m.shape, m.shape[1]), m)
    # Declared in kernels.hpp, defined only in the library: cling found the symbol there.
    assert "libib_cppyy_kernels" in str(cppyy.gbl.gSystem.GetLibraries())


def test_cppyy_reads_padded_rows_by_address(cppyy_strategy: CppyyStrategy) -> None:
    base = ops.make_vector(8 * 10, seed=2).reshape(8, 10)
    padded = base[:, 2:7]
    assert not padded.flags.c_contiguous
    ops.check_sum(cppyy_strategy.matrix_sum(padded), padded)
