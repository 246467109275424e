"""Helpers of the capsule-protocol tests (test_dlpack.py, test_arrow_c_data.py):
PyCapsules made with ctypes, as a foreign producer would make them."""

from __future__ import annotations

import ctypes

_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_capsule_new.restype = ctypes.py_object
_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.argtypes = [ctypes.py_object]
_capsule_name.restype = ctypes.c_char_p


def capsule(struct: ctypes.Structure, name: bytes) -> object:
    """A capsule over `struct` without a destructor: the test keeps `struct` alive."""
    return _capsule_new(ctypes.addressof(struct), name, None)


def name_of(capsule: object) -> bytes:
    name: bytes = _capsule_name(capsule)
    return name
