"""`arrow`: arrays cross through the Arrow C Data Interface, the way dataframe
libraries (pandas, Polars, DuckDB) hand columns to native code.

The timed path is what a user holding a NumPy array does: wrap it as a pyarrow
array (``pa.array(a)``: zero-copy for a contiguous array without a mask, checked by
address in the tests), and hand that to the extension (strategies/arrow/,
CPython C API, the structs written out from the specification), which calls
``__arrow_c_array__()`` (the PyCapsule protocol: "arrow_schema" and
"arrow_array" capsules), moves both structs out, checks the format (float64
"g", float32 "f", int32 "i", int16 "s", uint8 "C": it picks the kernel of that
element type; any other format is a TypeError naming it), no nulls, two
buffers, the offset, reads the values in place and calls each release callback
exactly once.

square: Arrow buffers are immutable by contract and the C Data Interface does
not say whether memory may be written. The adapter checks that the caller's
NumPy array is writable, wraps it (pyarrow's buffer over a writable array is a
mutable one) and the C++ side squares the values through the data pointer:
the caller's array changes in place, as for every other strategy. A consumer
that writes into Arrow memory it did not allocate is outside Arrow's contract;
this is the only way Arrow can do an in-place operation, and it is declared.

matrix_sum: the C Data Interface is columnar (1-D); a matrix is a
fixed-size list of its number type with one list per row (the storage of Arrow's
``fixed_shape_tensor``), built without a copy when the matrix (or its
transpose) is C-contiguous; padded or strided views are copied first, since
such a list has no row stride.

scale: the C++ side exports a schema and an array over a C++ buffer (its
release callback frees it); pyarrow imports the pair without copying
(``pa.Array._import_from_c_capsule``, what ``pa.array`` calls for an object
with ``__arrow_c_array__``, without its dispatch) and ``to_numpy(
zero_copy_only=True)`` gives the NumPy view, read-only as Arrow memory is.
The result has the argument's Arrow type; the factor is read for it natively.

frame: Arrow has no image type. A frame crosses as what Arrow's type system
can say of it: a fixed-size list of W pixels per row, each pixel a fixed-size
list of 3 uint8 (``+w:W`` of ``+w:3`` of ``C``, length H), built without a
copy over a C-contiguous image; a padded or cropped view is packed first (a
fixed-size list has no row stride). The consumer checks the nesting, sizes,
offsets and nulls of each level. The gray image comes back as the flat uint8
("C") array of its H * W bytes over a C++ buffer, which the adapter reshapes
(a view) to H x W: a read-only array, like scale's.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from interop_bench import native
from interop_bench.strategies import validation
from interop_bench.strategies._native_module import NotOpen
from interop_bench.strategies.base import Strategy

# A matrix with no elements as a fixed-size list: Arrow's list size must be >= 1.
_NO_ROWS_SHAPE = (0, 1)


class ArrowStrategy(Strategy):
    name = "arrow"
    sources = (
        "strategies/arrow/ib_arrow.cpp",
        "strategies/arrow/arrow_consumer.cpp",
        "strategies/arrow/arrow_result.cpp",
    )
    packages = ("pyarrow",)
    family = "ffi"
    description = (
        "Arrow C Data Interface: pa.array(a) -> __arrow_c_array__ capsules -> C++ structs; "
        "result exported from C++ and imported by pyarrow"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    copies_note = (
        "timed path includes NumPy -> pyarrow (pa.array, zero-copy) and, for scale, pyarrow -> "
        "NumPy (to_numpy(zero_copy_only=True), a read-only view); square writes through Arrow "
        "into the caller's writable NumPy memory; matrix_sum passes a fixed-size list per row, "
        "copying padded or strided views first; frame passes fixed-size lists of pixels per "
        "row (packing a padded or cropped view first) and gets the gray bytes back as a flat "
        "uint8 array, reshaped without a copy"
    )

    def __init__(self) -> None:
        super().__init__()
        self._module: ModuleType | NotOpen = NotOpen(self.name)
        self._pyarrow: Any = NotOpen(self.name)

    def _open(self) -> None:
        import pyarrow  # noqa: PLC0415 - only when this strategy is used

        self._pyarrow = pyarrow
        self._module = native.extension("ib_arrow")

    def _close(self) -> None:
        self._module = NotOpen(self.name)
        self._pyarrow = NotOpen(self.name)

    def _to_arrow(self, a: np.ndarray, *, writable: bool = False) -> Any:
        # pa.array would silently copy a strided array and convert other dtypes: refuse first.
        return self._pyarrow.array(validation.vector(a, writable=writable))

    def _to_numpy(self, exported: tuple[object, object]) -> np.ndarray:
        schema, array = exported
        result: np.ndarray = self._pyarrow.Array._import_from_c_capsule(schema, array).to_numpy(
            zero_copy_only=True
        )
        return result

    def sum(self, a: np.ndarray) -> float | int:
        total: float | int = self._module.sum(self._to_arrow(a))
        return total

    def square(self, a: np.ndarray) -> None:
        self._module.square(self._to_arrow(a, writable=True))

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _copied = validation.row_major(m)
        if view.size == 0:
            view = np.empty(_NO_ROWS_SHAPE, dtype=view.dtype)
        elif not view.flags.c_contiguous:
            view = np.ascontiguousarray(view)  # padded rows: a fixed-size list has no stride
        pa = self._pyarrow
        rows = pa.FixedSizeListArray.from_arrays(pa.array(view.reshape(-1)), view.shape[1])
        total: float | int = self._module.matrix_sum(rows)
        return total

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        return self._to_numpy(self._module.scale(self._to_arrow(a), k))

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, _ = validation.frame(image)
        height, width, channels = rgb.shape
        if height * width == 0:
            return validation.new_gray(rgb)  # Arrow's list size must be >= 1: nothing to cross
        pa = self._pyarrow
        packed = np.ascontiguousarray(rgb)  # the image itself unless padded or cropped
        pixels = pa.FixedSizeListArray.from_arrays(pa.array(packed.reshape(-1)), channels)
        rows = pa.FixedSizeListArray.from_arrays(pixels, width)
        return self._to_numpy(self._module.frame(rows)).reshape(height, width)

    def data_address(self, a: np.ndarray) -> int:
        address: int = self._module.data_address(self._to_arrow(a))
        return address

    def last_result_address(self) -> int:
        address: int = self._module.last_result_address()
        return address

    def result_buffers_alive(self) -> int | None:
        alive: int = self._module.result_buffers_alive()
        return alive
