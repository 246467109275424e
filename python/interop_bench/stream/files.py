"""Stream files among results files: told apart by their `kind`, read without the runner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KIND = "interop-bench stream"
# What a matrix results file (`interop-bench run`) is called where two kinds meet.
MATRIX_KIND = "interop-bench run"


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


@dataclass(frozen=True)
class StreamFile:
    """A stream file as the report and compare read it."""

    path: Path
    label: str
    document: dict[str, Any]

    @property
    def cells(self) -> list[dict[str, Any]]:
        cells: list[dict[str, Any]] = self.document["cells"]
        return cells

    def ok_cells(self) -> list[dict[str, Any]]:
        return [c for c in self.cells if c.get("status") == "ok" and c.get("stats")]

    def processes(self) -> int:
        """The most processes any ok cell has (1: no interval across processes)."""
        return max((len(c.get("processes") or []) for c in self.ok_cells()), default=0)


def kind_of(path: str | Path) -> str:
    """KIND or MATRIX_KIND: what a file is, by its `kind` field and nothing else."""
    return KIND if read_stream_file(path) is not None else MATRIX_KIND


def described(kind: str) -> str:
    """A kind in a sentence: "a stream file (kind 'interop-bench stream')"."""
    if kind == KIND:
        return f"a stream file (kind '{KIND}')"
    return f"a matrix results file (of `{MATRIX_KIND}`, no kind field)"


def partition(paths: list[str]) -> tuple[list[str], list[StreamFile]]:
    """The matrix results files (their paths, for their own reader) and the stream
    files, labelled by their stems (numbered when two stems collide)."""
    matrix: list[str] = []
    streams: list[StreamFile] = []
    for path in paths:
        document = read_stream_file(path)
        if document is None:
            matrix.append(path)
        else:
            streams.append(StreamFile(Path(path), Path(path).stem, document))
    stems = [s.label for s in streams]
    if len(set(stems)) < len(stems):
        streams = [
            StreamFile(s.path, f"{index + 1}:{s.label}", s.document)
            for index, s in enumerate(streams)
        ]
    return matrix, streams
