"""scripts/netns_link.py: two network namespaces, a shaped veth pair, the peer in
one and a measurement in the other, all torn down on every way out. Needs root
and a kernel that allows network namespaces; skipped with the reason elsewhere."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from worker_faults import EXIT_TIMEOUT_S, stall_fifo

from interop_bench import results_file

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "netns_link.py"
PROBE = f"ibnet-probe-{os.getpid()}"


def _namespaces_unavailable() -> str | None:
    if shutil.which("ip") is None or shutil.which("tc") is None:
        return "iproute2's ip and tc are not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    made = subprocess.run(
        ["ip", "netns", "add", PROBE], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        return f"this machine forbids network namespaces: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "delete", PROBE], check=False)
    return None


_UNAVAILABLE = _namespaces_unavailable()
pytestmark = [
    pytest.mark.network,
    pytest.mark.slow,
    pytest.mark.skipif(_UNAVAILABLE is not None, reason=_UNAVAILABLE or ""),
]


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False).stdout


def _leftovers(pid: int) -> list[str]:
    """Namespaces and links of the script's run `pid` that still exist."""
    names, links = _ip("netns", "list"), _ip("-o", "link")
    mine = re.compile(rf"\b(ibnet-(peer|run)-{pid}|ib[pr]{pid})\b")
    return [line for line in (names + links).splitlines() if mine.search(line)]


def test_a_tiny_run_over_the_emulated_link_records_it_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "link.json"
    script = subprocess.Popen([
        sys.executable, str(SCRIPT), "--rate", "1gbit", "--delay", "0.1ms", "--",
        sys.executable, "-m", "interop_bench", "run", "--strategies", "tcp,zmq-tcp", "--ops",
        "sum", "--sizes", "1,1000", "--profile", "quick", "--processes", "1", "--no-instructions",
        "--quiet", "--out", str(out), "--peer", "{peers}", "--peer-secret-file", "{secret}",
    ])  # fmt: skip
    assert script.wait(timeout=300) == 0
    assert _leftovers(script.pid) == []
    document = results_file.load(out)
    results_file.check(document)
    link = document["environment"]["link"]
    for strategy in ("tcp", "zmq-tcp"):  # each strategy's own peer, in the peer's namespace
        assert re.fullmatch(r"10\.77\.0\.1:\d+", link["peers"][strategy]), link
    assert link["rate"] == "1gbit"
    assert link["delay"] in ("0.1ms", "netem absent"), link  # netem is missing on some kernels
    assert {c["status"] for c in document["cells"]} == {"ok"}


def test_the_grpc_strategies_run_over_the_link_against_their_server_there(
    tmp_path: Path,
) -> None:
    out = tmp_path / "grpc-link.json"
    script = subprocess.Popen([
        sys.executable, str(SCRIPT), "--rate", "1gbit", "--",
        sys.executable, "-m", "interop_bench", "run", "--strategies", "grpc,grpc-stream",
        "--ops", "sum", "--sizes", "1,1000", "--profile", "quick", "--processes", "1",
        "--no-instructions", "--quiet", "--out", str(out), "--peer", "{peers}",
        "--peer-secret-file", "{secret}",
    ])  # fmt: skip
    assert script.wait(timeout=300) == 0
    assert _leftovers(script.pid) == []
    document = results_file.load(out)
    peers = document["environment"]["link"]["peers"]
    assert re.fullmatch(r"10\.77\.0\.1:\d+", peers["grpc"]), peers
    assert re.fullmatch(r"10\.77\.0\.1:\d+", peers["grpc-stream"]), peers
    assert {c["status"] for c in document["cells"]} == {"ok"}


def test_an_interrupted_link_is_torn_down(tmp_path: Path) -> None:
    fifo = stall_fifo(tmp_path)
    waits = f"import signal; open({str(fifo)!r}, 'w').write('up\\n'); signal.pause()"
    script = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--rate", "10gbit", "--", sys.executable, "-c", waits]
    )
    with open(fifo) as told:  # the command runs in the runner's namespace now
        assert told.read() == "up\n"
    assert _leftovers(script.pid) != []
    script.send_signal(signal.SIGINT)
    assert script.wait(timeout=EXIT_TIMEOUT_S) == 130
    assert _leftovers(script.pid) == []


def test_a_bad_rate_is_refused_before_anything_is_made() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--rate", "fast", "--", "true"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "a rate as tc writes it" in done.stderr
