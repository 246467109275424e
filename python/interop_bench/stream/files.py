"""Stream files among results files: told apart by their `kind`, read without the runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

KIND = "interop-bench stream"


class StreamFileError(ValueError):
    """A stream file that cannot be read; the message says why."""


def read_stream_file(path: str | Path) -> dict[str, Any] | None:
    """The document of a stream file, or None when `path` holds something else
    (a matrix results file, or nothing readable: its own reader says why)."""
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        return None
    if not isinstance(document.get("cells"), list):
        raise StreamFileError(f"{path}: a stream file without a list of cells")
    return document
