"""The strategies' layering, enforced: an adapter module (one that the registry
names) imports shared modules only (the transport layer, _serialization, _c_abi,
validation, ...), never another adapter, directly or through a shared module;
and each strategy's Python files are derived from its imports, so `sources`
declares native files only and no import goes unlisted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from interop_bench import strategies
from interop_bench.strategies import _imports, registry

PACKAGE = strategies.__name__
ADAPTERS = sorted({f"{PACKAGE}.{target.split(':')[0]}" for target in registry.STRATEGIES.values()})


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_no_strategy_module_imports_another(adapter: str) -> None:
    others = set(ADAPTERS) - {adapter}
    assert [m for m in _imports.imports(adapter) if m in others] == []


def test_the_import_reader_sees_every_kind_of_import() -> None:
    """What the layering test relies on: `from package import module`, `import
    package.module`, aliases and imports inside functions all count."""
    found = _imports.imports(f"{PACKAGE}.pickle5")
    assert f"{PACKAGE}._transport.pickle_frames" in found  # from ... import x as y
    assert f"{PACKAGE}._transport.worker" in found  # from ...worker import (...)
    assert f"{PACKAGE}.validation" in found
    assert _imports.imports(f"{PACKAGE}.validation") == []  # outside the package: not listed


@pytest.mark.parametrize("name", strategies.names())
def test_sources_declare_native_files_only(name: str) -> None:
    cls = strategies.strategy_class(name)
    assert [f for f in cls.sources if f.endswith(".py")] == [], "Python files are derived"


@pytest.mark.slow
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_every_module_a_strategy_loads_is_among_its_sources(adapter: str) -> None:
    """Checked against what importing the adapter really loads, in a fresh
    interpreter: the derivation reads source, this runs it."""
    code = (
        f"import importlib, json, sys, {PACKAGE}; package = set(sys.modules); "
        f"importlib.import_module({adapter!r}); "
        f"print(json.dumps(sorted(set(sys.modules) - package)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # What the adapter loads beyond the package itself (its interface: base, registry).
    loaded = {m for m in json.loads(done.stdout) if _imports.module_file(m)}
    loaded -= {m for m in loaded if _imports.is_package(m)}
    module = __import__(adapter, fromlist=["_"])
    classes = [c for c in vars(module).values() if getattr(c, "__module__", None) == adapter]
    for cls in classes:
        if isinstance(cls, type) and issubclass(cls, strategies.Strategy) and "name" in vars(cls):
            files = set(strategies.source_files(cls))
            missing = sorted(m for m in loaded if _imports.repository_path(m) not in files)
            assert missing == [], f"{cls.name} loads modules its sources do not name"
