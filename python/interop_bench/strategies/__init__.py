"""The strategies: `names()` lists them, `get(name)` makes one (unopened).

from interop_bench.strategies import get
with get("ctypes") as s:
    total = s.sum(a)
"""

from __future__ import annotations

import importlib

from interop_bench.strategies.base import CopyKind, Family, Strategy
from interop_bench.strategies.registry import STRATEGIES

__all__ = ["CopyKind", "Family", "Strategy", "get", "names", "strategy_class"]


def names() -> list[str]:
    """The registered strategy names, in registry order."""
    return list(STRATEGIES)


def strategy_class(name: str) -> type[Strategy]:
    """The class registered under `name`, imported on demand."""
    try:
        target = STRATEGIES[name]
    except KeyError:
        known = ", ".join(STRATEGIES)
        raise KeyError(f"unknown strategy {name!r}; known: {known}") from None
    module_name, class_name = target.split(":")
    module = importlib.import_module(f"interop_bench.strategies.{module_name}")
    cls: type[Strategy] = getattr(module, class_name)
    return cls


def get(name: str) -> Strategy:
    """A new, unopened instance of the strategy `name`."""
    return strategy_class(name)()
