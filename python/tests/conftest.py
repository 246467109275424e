"""Fixtures shared by the test suite."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import gil_gate
import pytest
from peer_secret import write_secret_file

from interop_bench import cli, strategies
from interop_bench.strategies import Strategy

# Before any module that links the kernel core is loaded, or its weak reference
# to the GIL tests' hook stays null (gil_gate.py; it refuses to come later).
gil_gate.load()

# A shell's background job starts with SIGINT ignored; Python leaves it so, and
# so do the processes it starts. The Ctrl-C tests (in-process and of child
# processes) need it delivered, as a terminal delivers it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The conformance suite runs every test once per name here; test_registry.py
# checks that this is exactly the registry, so a new strategy is covered by
# registering it.
CONFORMANCE_STRATEGIES = strategies.names()


NETWORK_STRATEGIES = frozenset(
    name for name in CONFORMANCE_STRATEGIES if strategies.strategy_class(name).family == "network"
)
# Element counts from which a case counts as slow (the conformance suite's 1e6).
SLOW_ELEMENTS = 1_000_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers that follow from a test's parameters and fixtures: a network
    strategy's cases are `network`, a case of a million elements or more and
    whatever needs a real run (`real_run`) are `slow`."""
    for item in items:
        params = getattr(item, "callspec", None)
        values = params.params.values() if params is not None else ()
        if any(isinstance(v, str) and v in NETWORK_STRATEGIES for v in values):
            item.add_marker(pytest.mark.network)
        big = any(isinstance(v, int) and v >= SLOW_ELEMENTS for v in values)
        if big or "real_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module", params=CONFORMANCE_STRATEGIES)
def strategy(request: pytest.FixtureRequest) -> Iterator[Strategy]:
    """An opened strategy, shared by the tests of one module, closed afterwards."""
    with strategies.get(request.param) as opened:
        yield opened


REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """The network peers' shared secret (peer_secret.SECRET) in a file of mode 600."""
    return write_secret_file(tmp_path / "secret")


@pytest.fixture(scope="session")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The results file of a real (tiny) run, measured here: a serialization strategy
    for the phases figure and an IPC one, uint8 cells and frames beside float64's,
    so the report is checked on what `run` really writes."""
    results = tmp_path_factory.mktemp("real") / "run.json"
    run = [sys.executable, "-m", "interop_bench", "run", "--quiet", "--profile", "quick"]
    cells = ["--strategies", "numpy,capi,json,shm", "--ops", "sum,scale,frame"]
    cells += ["--dtypes", "float64,uint8", "--sizes", "1,1e3,1e5,vga"]
    done = subprocess.run(
        [*run, *cells, "--processes", "3", "--out", str(results)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return results


@pytest.fixture(scope="session")
def real_report_file(real_run: Path) -> Path:
    """The report of `real_run`, with the code behind each strategy from this repository."""
    out = real_run.parent / "index.html"
    assert cli.main(["report", str(real_run), "-o", str(out), "--source", str(REPOSITORY)]) == 0
    return out
