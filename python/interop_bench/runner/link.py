"""The `environment.link` block: what the network strategies' arrays crossed.

Each network strategy measured against a peer that was given (`run --peer`,
INTEROP_BENCH_PEERS) is named with that peer's address; the others ran their own
peer on loopback. What the link itself is (its shaping rate, its added delay, a
description) comes from INTEROP_BENCH_LINK, a JSON object that
scripts/netns_link.py sets for the run it starts, and from `run --link TEXT`.
"""

from __future__ import annotations

import json
import os
from typing import Any

from interop_bench.strategies._transport import net_peer

LINK_VARIABLE = "INTEROP_BENCH_LINK"
LOOPBACK = "loopback: each network strategy ran its own peer on 127.0.0.1"
UNDESCRIBED = "peers given with --peer; the link between them is not described (run --link TEXT)"


def describe(text: str | None = None) -> dict[str, Any]:
    """The link block of a run starting now; `text` (run --link) overrides the description."""
    peers = net_peer.parse_peers(os.environ.get(net_peer.PEERS_VARIABLE, ""))
    try:
        facts = json.loads(os.environ.get(LINK_VARIABLE) or "{}")
    except ValueError:
        facts = {}
    if not isinstance(facts, dict):
        facts = {}
    description = text or facts.get("description") or (UNDESCRIBED if peers else LOOPBACK)
    return {
        "peers": {name or "*": str(address) for name, address in peers.items()},
        "rate": _text(facts.get("rate")),
        "delay": _text(facts.get("delay")),
        "description": str(description),
    }


def _text(value: object) -> str | None:
    return None if value is None else str(value)
