"""The registry and the conformance suite cover each other."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import interop_bench.strategies as strategies_package
from interop_bench import strategies
from interop_bench.strategies import registry


def _declared_strategies() -> dict[str, str]:
    """name -> "module:Class" of every class of the strategies package that
    declares a strategy's name itself (an abstract base or a shared base such as
    _ctypes_library's declares none), found by importing every module."""
    prefix = f"{strategies_package.__name__}."
    declared = {}
    for info in pkgutil.walk_packages(strategies_package.__path__, prefix):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if (
                isinstance(cls, type)
                and issubclass(cls, strategies.Strategy)
                and cls.__module__ == module.__name__
                and "name" in vars(cls)
            ):
                declared[cls.name] = f"{module.__name__.removeprefix(prefix)}:{cls.__name__}"
    return declared


def test_every_strategy_class_is_registered_under_its_name() -> None:
    assert _declared_strategies() == registry.STRATEGIES


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
