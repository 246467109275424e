"""The strategies: `names()` lists them, `get(name)` makes one (unopened).

from interop_bench.strategies import get
with get("ctypes") as s:
    total = s.sum(a)

Strategies from outside the package join the registry through the environment:
INTEROP_BENCH_EXTRA_STRATEGIES="mine=my_module:MyStrategy,other=pkg.mod:Other"
(absolute module paths, importable by the interpreter), so an adapter can be
measured before it is added to registry.py; the run's measuring processes
inherit the variable and see the same registry.
"""

from __future__ import annotations

import importlib
import os

from interop_bench.strategies import _imports, base, registry
from interop_bench.strategies.base import CopyKind, Family, Strategy
from interop_bench.strategies.registry import STRATEGIES

__all__ = ["CopyKind", "Family", "Strategy", "get", "names", "source_files", "strategy_class"]


EXTRA_VARIABLE = "INTEROP_BENCH_EXTRA_STRATEGIES"
# What every strategy's module reaches and no strategy's call is made of.
_INTERFACE = frozenset((base.__name__, registry.__name__))


def _extra() -> dict[str, str]:
    """name -> "module:Class" from EXTRA_VARIABLE; ValueError naming a bad entry."""
    found = {}
    for entry in filter(None, (e.strip() for e in os.environ.get(EXTRA_VARIABLE, "").split(","))):
        name, _, target = entry.partition("=")
        if not name or target.count(":") != 1:
            raise ValueError(f"{EXTRA_VARIABLE}: expected name=module:Class, got {entry!r}")
        found[name] = target
    return found


def _registry() -> dict[str, tuple[str, str]]:
    """name -> (module, class) of every strategy, the package's first."""
    entries = {name: f"interop_bench.strategies.{target}" for name, target in STRATEGIES.items()}
    entries.update(_extra())
    registry = {}
    for name, target in entries.items():
        module_name, class_name = target.split(":")
        registry[name] = (module_name, class_name)
    return registry


def names() -> list[str]:
    """The registered strategy names, in registry order."""
    return list(_registry())


def strategy_class(name: str) -> type[Strategy]:
    """The class registered under `name`, imported on demand."""
    registry = _registry()
    try:
        module_name, class_name = registry[name]
    except KeyError:
        known = ", ".join(registry)
        raise KeyError(f"unknown strategy {name!r}; known: {known}") from None
    module = importlib.import_module(module_name)
    cls: type[Strategy] = getattr(module, class_name)
    return cls


def get(name: str) -> Strategy:
    """A new, unopened instance of the strategy `name`."""
    return strategy_class(name)()


def source_files(cls: type[Strategy]) -> list[str]:
    """The repository-relative files behind `cls`'s call: the module of its class,
    then the modules of this package that it imports, directly or not (derived
    from their source: the interface, base.py and registry.py, and packages' __init__
    left out), then the native files it declares in `sources`."""
    modules = [klass.__module__ for klass in cls.__mro__ if _imports.module_file(klass.__module__)]
    for module in list(modules):
        modules += _imports.imports(module)
    python = [
        _imports.repository_path(module)
        for module in dict.fromkeys(modules)
        if module not in _INTERFACE and not _imports.is_package(module)
    ]
    return list(dict.fromkeys([*python, *cls.sources]))
