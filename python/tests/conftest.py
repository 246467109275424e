"""Fixtures shared by the test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interop_bench import strategies
from interop_bench.strategies import Strategy

# The conformance suite runs every test once per name here; test_registry.py
# checks that this is exactly the registry, so a new strategy is covered by
# registering it.
CONFORMANCE_STRATEGIES = strategies.names()


@pytest.fixture(scope="module", params=CONFORMANCE_STRATEGIES)
def strategy(request: pytest.FixtureRequest) -> Iterator[Strategy]:
    """An opened strategy, shared by the tests of one module, closed afterwards."""
    with strategies.get(request.param) as opened:
        yield opened
