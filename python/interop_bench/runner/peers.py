"""The peers a run's network strategies measure against (`run --peer`): checked,
and handed to the passes and the strategies through the environment."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from interop_bench import results_file, strategies
from interop_bench.runner import link
from interop_bench.strategies._transport import net_peer


class PeerError(ValueError):
    """Peers given wrongly; the message says what to give instead."""


def configure(peers: Sequence[str] | None, secret_file: Path | None) -> None:
    """Check the --peer entries and --peer-secret-file and set them in the
    environment for the passes; PeerError naming what is wrong."""
    if not peers:
        if secret_file is not None:
            raise PeerError("--peer-secret-file is the secret of a --peer: give the peer too")
        return
    for entry in peers:
        try:
            named = net_peer.parse_peers(entry)
        except ValueError as error:
            raise PeerError(f"--peer {entry}: {error}") from None
        for name in filter(None, named):
            family = strategies.strategy_class(name).family
            if family != "network":
                raise PeerError(
                    f"--peer {entry}: {name} is not a network strategy (family {family})"
                )
    if secret_file is None:
        raise PeerError(
            "--peer needs --peer-secret-file FILE: a peer serves only clients that hold its secret"
        )
    try:
        net_peer.read_secret(secret_file)
    except ValueError as error:
        raise PeerError(f"--peer-secret-file: {error}") from None
    os.environ[net_peer.PEERS_VARIABLE] = ",".join(peers)
    os.environ[net_peer.SECRET_VARIABLE] = str(secret_file.resolve())


def check_resumed(document: results_file.Document) -> None:
    """A resumed run measures against the peers its file was measured against."""
    stored = (document["environment"].get("link") or {}).get("peers") or {}
    given = link.describe()["peers"]
    if stored != given:
        wanted = " ".join(
            f"--peer {k}={v}" if k != "*" else f"--peer {v}" for k, v in stored.items()
        )
        raise PeerError(
            f"this file was measured against the peers {stored or 'on loopback'}, not {given}: "
            f"resume it with {wanted or 'no --peer'}"
        )
