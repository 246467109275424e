"""Where the native artifacts built by CMake live, and how to reach them.

CMake installs every extension module, shared library and executable into
``interop_bench/_native`` (see cmake/InteropBench.cmake); this module is the
only place that knows that.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

NATIVE_DIR = Path(__file__).resolve().parent / "_native"


class NativeUnavailableError(RuntimeError):
    """A native artifact was not built (a dependency was missing at build time)."""


def _missing(what: str) -> NativeUnavailableError:
    return NativeUnavailableError(
        f"{what} is not in {NATIVE_DIR}: it was not built. Rebuild with `make build` "
        "(or `pip install .`) on a machine with the dependencies of scripts/debian-packages.txt."
    )


def extension(name: str) -> ModuleType:
    """Import the extension module ``interop_bench._native.<name>``."""
    try:
        return importlib.import_module(f"interop_bench._native.{name}")
    except ModuleNotFoundError as error:
        raise _missing(f"extension module {name!r}") from error


def shared_library(stem: str) -> Path:
    """Path of the shared library ``lib<stem>.so`` (``.dylib`` on macOS)."""
    suffix = ".dylib" if sys.platform == "darwin" else ".so"
    path = NATIVE_DIR / f"lib{stem}{suffix}"
    if not path.exists():
        raise _missing(f"shared library {path.name}")
    return path


def executable(name: str) -> Path:
    """Path of the native executable ``name``."""
    path = NATIVE_DIR / name
    if not path.exists():
        raise _missing(f"executable {name!r}")
    return path
