"""Fixtures of the pytest-benchmark suite (run by `make pytest-bench`, never by `make test`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from interop_bench import strategies
from interop_bench.strategies import Strategy

# A strategy whose native part is not built (or whose worker cannot start) is
# skipped with the reason, not failed: the suite compares what this machine has.
OPEN_ERRORS = (ImportError, OSError, RuntimeError)


@pytest.fixture(scope="session")
def opened() -> Iterator[Callable[[str], Strategy]]:
    """`opened(name)`: the strategy, opened once for the whole session and closed at the end."""
    cache: dict[str, Strategy] = {}
    failed: dict[str, str] = {}

    def get(name: str) -> Strategy:
        if name in failed:
            pytest.skip(failed[name])
        if name not in cache:
            strategy = strategies.get(name)
            try:
                strategy.open()
            except OPEN_ERRORS as error:
                failed[name] = f"{name} cannot be opened: {error}"
                pytest.skip(failed[name])
            cache[name] = strategy
        return cache[name]

    yield get
    for strategy in cache.values():
        strategy.close()
