"""The registry and the conformance suite cover each other."""

from __future__ import annotations

from pathlib import Path

import pytest

import interop_bench.strategies as strategies_package
from interop_bench import ops, strategies
from interop_bench.strategies import registry

# Modules of the strategies package that are not strategies.
INFRASTRUCTURE = {"__init__", "base", "validation", "registry", "gil"}


def test_every_adapter_module_is_registered() -> None:
    folder = Path(strategies_package.__file__).parent
    modules = {p.stem for p in folder.glob("*.py")} - INFRASTRUCTURE
    modules = {m for m in modules if not m.startswith("_")}
    registered = {target.split(":")[0] for target in registry.STRATEGIES.values()}
    assert modules - registered == set(), "adapter modules that no registry line names"


@pytest.mark.parametrize("name", strategies.names())
def test_registered_class_declares_itself(name: str) -> None:
    cls = strategies.strategy_class(name)
    assert cls.name == name
    assert cls.family in ("reference", "ffi", "serialization", "ipc", "network")
    assert name not in ("kernel", "read-probe", "memcpy-probe")  # the floors' cell names
    assert cls.releases_gil in ("never", "large", "always")
    assert cls.copies_in in ("zero-copy", "copy", "serialize")
    assert cls.copies_out in ("zero-copy", "copy", "serialize")
    assert cls.description


@pytest.mark.parametrize("name", strategies.names())
def test_every_strategy_carries_every_dtype_and_frames(name: str) -> None:
    """Issue #15's bar: no strategy is float64-only or frameless, so every cell of
    the dtype axis and every frame is measured through every strategy (the
    conformance suite then checks each one's answers)."""
    cls = strategies.strategy_class(name)
    assert set(cls.dtypes) == set(ops.DTYPES), f"{name} carries only {cls.dtypes}"
    assert cls.carries_frames, f"{name} does not carry frames"


def test_unknown_strategy_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="numpy"):
        strategies.get("no-such-strategy")


@pytest.mark.parametrize("name", strategies.names())
def test_close_is_idempotent_and_open_reopens(name: str) -> None:
    s = strategies.get(name)
    s.close()
    with s:
        pass
    s.close()
    with s:
        a = strategies.get("numpy")
        assert a is not s


def test_strategies_from_outside_the_package_join_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        strategies.EXTRA_VARIABLE, "mine=interop_bench.strategies.numpy:NumpyStrategy"
    )
    assert strategies.names()[-1] == "mine"
    assert strategies.strategy_class("mine").__name__ == "NumpyStrategy"
    monkeypatch.setenv(strategies.EXTRA_VARIABLE, "mine=no-colon")
    with pytest.raises(ValueError, match="expected name=module:Class, got 'mine=no-colon'"):
        strategies.names()


REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", strategies.names())
def test_source_files_exist_and_name_the_native_side(name: str) -> None:
    """The report shows these files as the code behind the strategy's numbers."""
    cls = strategies.strategy_class(name)
    files = strategies.source_files(cls)
    assert files[0] == "python/" + cls.__module__.replace(".", "/") + ".py"
    missing = [f for f in files if not (REPOSITORY / f).is_file()]
    assert missing == [], f"{name} names files that do not exist"
    native = [f for f in files if f.startswith("strategies/")]
    assert native or cls.family == "reference", f"{name} declares no native source"
