"""An emulated network link for the network strategies, on one machine (root).

    netns_link.py [--rate 1gbit] [--delay 0.1ms] -- COMMAND [ARG ...]

creates two network namespaces joined by a veth pair with private addresses
(the peer's side 10.77.0.1, the runner's 10.77.0.2: both inside the new
namespaces, so no traffic ever reaches an address of the machine's own network),
shapes each direction with tc's `tbf` at RATE, adds DELAY in each direction with
`netem` where the kernel has it (and records "netem absent" where it has not),
starts the network peer (ib_worker --listen 10.77.0.1:0 --allow-remote) in the
first namespace with a fresh secret (and the peers of zmq-tcp, grpc, grpc-stream
and arrow-flight, EXTRA_PEERS, when COMMAND names them), and runs COMMAND in the
second. In COMMAND, {peer} becomes the peer's HOST:PORT, {peers} every peer as
STRATEGY=HOST:PORT,... (for `run --peer`) and {secret} the secret file's path, e.g.

    netns_link.py --rate 10gbit -- .venv/bin/interop-bench run --strategies tcp,uds,shm \\
        --peer tcp={peer} --peer-secret-file {secret}

COMMAND also finds them in INTEROP_BENCH_PEERS and INTEROP_BENCH_PEER_SECRET_FILE,
and the link's facts in INTEROP_BENCH_LINK, which `interop-bench run` records
as environment.link. Everything (peer, namespaces, veth pair, secret) is torn
down when COMMAND ends, fails, or the script is interrupted (Ctrl-C, SIGTERM);
namespaces left by a run that was SIGKILLed are removed by the next one. The
exit status is COMMAND's (2 when the link cannot be set up).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

PREFIX = "ibnet-"
PEER_ADDRESS = "10.77.0.1"
RUNNER_ADDRESS = "10.77.0.2"
PREFIX_LENGTH = 30  # the two addresses and nothing else
NETEM_ABSENT = "netem absent"
# tbf's bucket: at least this many seconds of the rate (the qdisc's timer must
# not starve the link between refills), and never less than a 64 KiB GSO packet.
BUCKET_S = 0.004
MIN_BURST_BYTES = 128 << 10
QUEUE_LATENCY = "20ms"  # how long a packet may wait in the shaper's queue
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
COMMAND_STOP_TIMEOUT_S = 60.0  # an interrupted run closing its strategies
_RATE = re.compile(r"^(\d+(?:\.\d+)?)([kmg]?)bit$")
_STALE = re.compile(rf"^{PREFIX}(?:peer|run)-(\d+)$")
# Peers besides ib_worker (tcp's), started when COMMAND names their strategy:
# strategy -> executable, each taking ib_worker's --listen flags.
EXTRA_PEERS = {
    "zmq-tcp": "ib_zmq_worker",
    "grpc": "ib_grpc_peer",
    "grpc-stream": "ib_grpc_peer",
    "arrow-flight": "ib_flight_peer",
}


class LinkError(RuntimeError):
    """The link could not be set up; the message says which step failed."""


@dataclass(frozen=True)
class Names:
    peer_ns: str
    run_ns: str
    peer_if: str
    run_if: str

    @staticmethod
    def of(pid: int) -> Names:
        return Names(f"{PREFIX}peer-{pid}", f"{PREFIX}run-{pid}", f"ibp{pid}", f"ibr{pid}")


def rate_bits_per_s(rate: str) -> float:
    """tc's "10gbit", "1gbit", "500mbit" in bits per second; ValueError otherwise."""
    match = _RATE.match(rate.lower())
    if not match:
        raise ValueError(f"a rate as tc writes it (10gbit, 1gbit, 500mbit), not {rate!r}")
    scale = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[match.group(2)]
    return float(match.group(1)) * scale


def _ip(*args: str, namespace: str | None = None, check: bool = True) -> str:
    command = ["ip", *(["-n", namespace] if namespace else []), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise LinkError(f"`{' '.join(command)}` failed: {done.stderr.strip()}")
    return done.stdout


def _tc(namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["ip", "netns", "exec", namespace, "tc", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def namespaces() -> list[str]:
    return [line.split()[0] for line in _ip("netns", "list").splitlines() if line.strip()]


def remove_namespace(name: str) -> None:
    """Kill what runs in namespace `name`, then delete it (its veth end goes with it)."""
    for pid in _ip("netns", "pids", name, check=False).split():
        with suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    _ip("netns", "delete", name, check=False)


def remove_stale() -> None:
    """Namespaces of an earlier run of this script whose process is gone (SIGKILL)."""
    for name in namespaces():
        match = _STALE.match(name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            remove_namespace(name)


def shape(namespace: str, device: str, rate: str, delay: str | None) -> str | None:
    """tbf at `rate` on `device`, behind netem's `delay` when asked and available;
    the delay applied, NETEM_ABSENT, or None when none was asked."""
    applied = None
    parent = ["root"]
    if delay:
        netem = _tc(namespace, "qdisc", "add", "dev", device, "root", "handle", "1:", "netem",
                    "delay", delay)  # fmt: skip
        if netem.returncode == 0:
            applied, parent = delay, ["parent", "1:"]
        else:
            applied = NETEM_ABSENT
    burst = max(int(rate_bits_per_s(rate) / 8 * BUCKET_S), MIN_BURST_BYTES)
    tbf = _tc(namespace, "qdisc", "add", "dev", device, *parent, "handle", "2:", "tbf",
              "rate", rate, "burst", str(burst), "latency", QUEUE_LATENCY)  # fmt: skip
    if tbf.returncode != 0:
        raise LinkError(f"tc tbf {rate} on {device} failed: {tbf.stderr.strip()}")
    return applied


def create(names: Names, rate: str, delay: str | None) -> str | None:
    """The two namespaces and the shaped veth pair between them; the delay applied."""
    _ip("netns", "add", names.peer_ns)
    _ip("netns", "add", names.run_ns)
    _ip("link", "add", names.peer_if, "netns", names.peer_ns, "type", "veth",
        "peer", "name", names.run_if, "netns", names.run_ns)  # fmt: skip
    ends = (
        (names.peer_ns, names.peer_if, PEER_ADDRESS),
        (names.run_ns, names.run_if, RUNNER_ADDRESS),
    )
    applied = None
    for namespace, device, address in ends:
        _ip("addr", "add", f"{address}/{PREFIX_LENGTH}", "dev", device, namespace=namespace)
        _ip("link", "set", device, "up", namespace=namespace)
        _ip("link", "set", "lo", "up", namespace=namespace)
        applied = shape(namespace, device, rate, delay)
    return applied


def start_peer(
    names: Names, worker: Path, secret_file: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """`worker` (ib_worker, or one of EXTRA_PEERS: the same flags) listening in the peer
    namespace, dying with this process; its HOST:PORT."""
    command = ["ip", "netns", "exec", names.peer_ns, str(worker),
               f"--listen={PEER_ADDRESS}:0", "--allow-remote", f"--secret-file={secret_file}",
               f"--parent={os.getpid()}"]  # fmt: skip
    peer = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert peer.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(peer.stdout, selectors.EVENT_READ)
        if not selector.select(START_TIMEOUT_S):
            raise LinkError(f"the peer did not say where it listens within {START_TIMEOUT_S} s")
    words = peer.stdout.readline().decode().split()
    if len(words) != 3 or words[0] != "listening":
        raise LinkError(f"the peer did not start (exit status {peer.poll()})")
    return peer, f"{words[1]}:{words[2]}"


def stop(peer: subprocess.Popen[bytes] | None) -> None:
    if peer is None:
        return
    if peer.poll() is None:
        peer.terminate()
    try:
        peer.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        peer.kill()
        peer.wait()


def named(command: Sequence[str], strategy: str) -> bool:
    """Whether COMMAND names `strategy` (e.g. in --strategies tcp,zmq-tcp)."""
    return any(strategy in re.split(r"[,=]", part) for part in command)


@contextmanager
def link(
    rate: str, delay: str | None, worker: Path, extra: dict[str, Path] | None = None
) -> Iterator[tuple[str, Path, dict[str, str | None], dict[str, str]]]:
    """The link, up: (peer HOST:PORT, secret file, link facts, the `extra` peers'
    (strategy -> executable) HOST:PORT); down on every way out."""
    names = Names.of(os.getpid())
    directory = Path(tempfile.mkdtemp(prefix="ibnet-"))
    peer = None
    others: list[subprocess.Popen[bytes]] = []
    try:
        remove_stale()
        applied = create(names, rate, delay)
        secret_file = directory / "secret"
        secret_file.touch(mode=0o600)
        secret_file.write_text(os.urandom(32).hex())
        peer, address = start_peer(names, worker, secret_file)
        facts = {
            "rate": rate,
            "delay": applied if applied is not None else "none",
            "description": "emulated: a veth pair between two network namespaces "
            f"({RUNNER_ADDRESS} -> {PEER_ADDRESS}), shaped by tc tbf each way",
        }
        addresses = {}
        for strategy, program in (extra or {}).items():
            other, addresses[strategy] = start_peer(names, program, secret_file)
            others.append(other)
        yield address, secret_file, facts, addresses
    finally:
        for other in others:
            stop(other)
        stop(peer)
        remove_namespace(names.run_ns)
        remove_namespace(names.peer_ns)
        shutil.rmtree(directory, ignore_errors=True)


def run_in(namespace: str, command: Sequence[str], env: dict[str, str]) -> int:
    """COMMAND in the runner namespace. Interrupted, it is interrupted too (a
    Ctrl-C from the terminal reached it already; once more is what `interop-bench
    run` expects) and given COMMAND_STOP_TIMEOUT_S to write what it measured."""
    child = subprocess.Popen(["ip", "netns", "exec", namespace, *command], env=env)
    try:
        return child.wait()
    except KeyboardInterrupt:
        with suppress(ProcessLookupError):
            child.send_signal(signal.SIGINT)
        try:
            child.wait(COMMAND_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", default="1gbit", help="tbf rate each way (default 1gbit)")
    parser.add_argument("--delay", default=None, help="netem delay each way, e.g. 0.1ms")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG ...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the COMMAND to run in the runner's namespace after --")
    try:
        rate_bits_per_s(args.rate)
    except ValueError as error:
        parser.error(f"--rate: {error}")
    if os.geteuid() != 0:
        print("netns_link.py: network namespaces need root (try sudo)", file=sys.stderr)
        return 2
    from interop_bench import native  # noqa: PLC0415 - after the checks that need nothing

    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGHUP, _terminated)
    try:
        extra = {s: native.executable(p) for s, p in EXTRA_PEERS.items() if named(command, s)}
        with link(args.rate, args.delay, native.executable("ib_worker"), extra) as (
            address,
            secret,
            facts,
            others,
        ):
            print(f"netns_link.py: peer at {address}; {facts['description']}", file=sys.stderr)
            peers = ",".join(f"{s}={a}" for s, a in {"tcp": address, **others}.items())
            env = dict(os.environ)
            env["INTEROP_BENCH_PEERS"] = peers
            env["INTEROP_BENCH_PEER_SECRET_FILE"] = str(secret)
            env["INTEROP_BENCH_LINK"] = json.dumps(facts)
            filled = [
                part.replace("{peer}", address).replace("{peers}", peers)
                .replace("{secret}", str(secret))
                for part in command
            ]  # fmt: skip
            return run_in(Names.of(os.getpid()).run_ns, filled, env)
    except LinkError as error:
        print(f"netns_link.py: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
