"""The private directory on tmpfs where `file-mmap` and its worker exchange .npy files.

One directory per open strategy, /dev/shm/ib_npy_<owner pid>_<random>/, mode
0700 (no other user can read, replace or truncate a file in it). Every call
removes its own files on every path (strategies/file_mmap.py); closing the
strategy removes the directory. A SIGKILLed owner cannot clean up, so opening
a strategy first sweeps the directories of owners that no longer run: after
any death, at most one directory per dead process remains until the next open,
and none accumulate. (A dead owner whose pid was reused by a live process keeps
its directory until that process ends too.)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

SHM_DIR = Path("/dev/shm")  # tmpfs on Linux: the files live in memory, never on a disk
DIRECTORY_PREFIX = "ib_npy_"


def _owner(directory: Path) -> int | None:
    """The pid in a directory's name, or None if the name is not one of ours."""
    pid = directory.name.removeprefix(DIRECTORY_PREFIX).split("_", 1)[0]
    return int(pid) if pid.isdecimal() else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        return True
    return True


def leftover_directories(pid: int | None = None) -> list[str]:
    """Names of this project's .npy directories in /dev/shm (of owner `pid`, if given)."""
    prefix = DIRECTORY_PREFIX if pid is None else f"{DIRECTORY_PREFIX}{pid}_"
    return sorted(path.name for path in SHM_DIR.glob(f"{prefix}*"))


def sweep_dead_owners() -> None:
    """Remove the directories whose owner process no longer runs."""
    for directory in SHM_DIR.glob(f"{DIRECTORY_PREFIX}*"):
        owner = _owner(directory)
        if owner is not None and not _running(owner):
            shutil.rmtree(directory, ignore_errors=True)


def make_directory() -> Path:
    """A new private directory of this process (after sweeping dead owners')."""
    sweep_dead_owners()
    path = SHM_DIR / f"{DIRECTORY_PREFIX}{os.getpid()}_{secrets.token_hex(6)}"
    path.mkdir(mode=0o700)
    return path


def remove_directory(path: Path) -> None:
    """Remove the directory and anything in it. Idempotent, never raises."""
    with contextlib.suppress(OSError):
        shutil.rmtree(path)
