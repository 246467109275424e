"""The shared secret of the network tests' peers (tcp, zmq-tcp, grpc, arrow-flight):
what a client proves it holds, and the file a peer reads it from."""

from __future__ import annotations

from pathlib import Path

SECRET = b"0123456789abcdef0123456789abcdef"


def write_secret_file(path: Path) -> Path:
    """SECRET in a file only its owner may read (what every peer requires)."""
    path.touch(mode=0o600)
    path.write_bytes(SECRET + b"\n")
    return path
