"""`dlpack`: arrays cross as DLPack capsules, the array-exchange protocol of
NumPy, PyTorch, JAX, CuPy and the Python array API.

The extension (strategies/dlpack/, CPython C API, Debian's DLPack 0.6 header)
is the consumer: each function calls ``a.__dlpack__()`` itself, as a
``from_dlpack`` does, without ``max_version``, so NumPy 2 answers with the
unversioned "dltensor" capsule (DLManagedTensor; the "dltensor_versioned"
DLManagedTensorVersioned of DLPack 1.x is not in the 0.6 header and is never
asked for). It checks the capsule's name, renames it "used_dltensor", checks
device (CPU), dtype (one lane of float 64 or 32, int 32 or 16, uint 8 bits:
the DLDataType picks the kernel of that element type; any other, e.g. float16,
int64, bool or complex, is a TypeError naming code, bits and lanes), ndim,
strides (NULL = compact row-major) and byte_offset, reads the memory in place
and calls the tensor's deleter exactly once. scale's result is a C++ buffer
held by a small exporter object (``ib_dlpack.Result``, with ``__dlpack__``
and ``__dlpack_device__``) that ``np.from_dlpack`` wraps without copying,
typed by the DLDataType of the argument's element type; the buffer is freed
when the last array over it dies.
frame takes the image as a 3-D uint8 tensor (its strides: a padded or cropped
view is read in place), and its H x W uint8 gray image comes back the same way
as scale's result (a C++ buffer, exported, wrapped by ``np.from_dlpack``).

What the unversioned protocol implies, said here because a user meets it:
DLPack < 1.0 cannot mark a tensor read-only, so NumPy refuses to export a
read-only array (BufferError, restated as ValueError naming the operation),
for sum as well as square; and an array from ``np.from_dlpack`` of an
unversioned capsule is read-only (scale's and frame's results are).
"""

from __future__ import annotations

from interop_bench.strategies._native_module import NativeModuleStrategy


class DlpackStrategy(NativeModuleStrategy):
    name = "dlpack"
    sources = (
        "strategies/dlpack/ib_dlpack.cpp",
        "strategies/dlpack/dlpack_consumer.cpp",
        "strategies/dlpack/dlpack_result.cpp",
    )
    packages = ("numpy",)
    family = "ffi"
    description = (
        "DLPack capsules (unversioned protocol): the C API module calls a.__dlpack__(); "
        "results come back through np.from_dlpack"
    )
    copies_in = "zero-copy"
    releases_gil = "large"
    copies_out = "zero-copy"
    copies_note = (
        "arguments are read in place through the DLManagedTensor (read-only arrays are refused: "
        "DLPack < 1.0 cannot say read-only); scale's result is a C++ buffer that np.from_dlpack "
        "wraps (a read-only array), and so is frame's gray image; frame reads padded or cropped "
        "views in place; matrix_sum copies only layouts whose rows and columns are both strided"
    )
    extension_name = "ib_dlpack"
