"""What is specific to `cppyy` beyond the conformance suite: why its adapter
validates in Python (cppyy alone writes into a read-only array and speaks of
"buffer or nullptr"), the GIL-releasing twins and their threshold, the kernels
reached in libib_cppyy_kernels.so. (Start-up: test_startup.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import cppyy
import numpy as np
import pytest

from interop_bench import ops, strategies
from interop_bench.strategies import gil
from interop_bench.strategies.cppyy import FUNCTIONS, CppyyStrategy


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
    cppyy_strategy._adapter.square(a, a.size)
    np.testing.assert_array_equal(a, [0.0, 1.0, 4.0])
    b = np.arange(3.0)
    b.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        cppyy_strategy.square(b)
    np.testing.assert_array_equal(b, [0.0, 1.0, 2.0])


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (np.ones(3, dtype=np.float32), TypeError, "expected dtype float64"),
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
    for name in FUNCTIONS:
        assert getattr(cppyy_strategy._released, name).__release_gil__, name
        assert not getattr(cppyy_strategy._adapter, name).__release_gil__, name
    assert cppyy_strategy._release_from == gil.release_threshold_elements()
    small = ops.make_vector(cppyy_strategy._release_from - 1)
    assert cppyy_strategy._pick(small.size) is cppyy_strategy._adapter
    assert cppyy_strategy._pick(small.size + 1) is cppyy_strategy._released


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
