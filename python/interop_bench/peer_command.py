"""`interop-bench peer`: run the network peer (ib_worker --listen) of this installation,
e.g. on the host that `interop-bench run --peer HOST:PORT` measures against."""

from __future__ import annotations

import argparse
import os

from interop_bench import native

HELP = "run the network strategies' peer (ib_worker --listen) until stopped"
# The peer of each network strategy that has one of its own (the others': ib_worker).
PEERS = {
    "tcp": "ib_worker",
    "zmq-tcp": "ib_zmq_worker",
    "grpc": "ib_grpc_peer",
    "grpc-stream": "ib_grpc_peer",
    "arrow-flight": "ib_flight_peer",
}
DESCRIPTION = """Run the peer that the network strategies (tcp) talk to, in the
foreground until Ctrl-C: on this host, for `interop-bench run --peer HOST:PORT
--peer-secret-file FILE` on another. It binds loopback unless --allow-remote is
given, serves one client at a time, and only clients that prove they hold the
secret in FILE (mode 600, 16+ bytes: `openssl rand -hex 32 > FILE`; the secret
never crosses the network). It prints "listening HOST PORT" once it listens
(port 0: a free one). The handshake authenticates clients but does not encrypt
the arrays: over a network you do not trust, put the peer behind a tunnel.
--strategy zmq-tcp runs zmq-tcp's peer (ib_zmq_worker --listen) instead, which
authenticates and encrypts with CURVE keys derived from the same secret;
--strategy grpc (or grpc-stream) runs their server, ib_grpc_peer, which signs
every call with an HMAC of the same secret; --strategy arrow-flight runs
ib_flight_peer (the same handshake through Flight's Handshake, then a session
token on every call; it takes none of the size or timeout flags)."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strategy", choices=sorted(PEERS), default="tcp", help="whose peer (default tcp)"
    )
    parser.add_argument("--listen", required=True, metavar="HOST:PORT", help="where to listen")
    parser.add_argument(
        "--secret-file", required=True, metavar="FILE", help="the shared secret ('-': stdin)"
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow an address other than loopback (other hosts can then connect)",
    )
    parser.add_argument(
        "--max-bytes", type=int, metavar="N", help="largest request payload (default 1 GiB)"
    )
    parser.add_argument(
        "--io-timeout-ms",
        type=int,
        metavar="MS",
        help="longest wait on a frame that stopped half way (default 30000)",
    )


def main(args: argparse.Namespace) -> int:
    program = PEERS[args.strategy]
    worker = str(native.executable(program))
    argv = [worker, f"--listen={args.listen}", f"--secret-file={args.secret_file}"]
    argv += ["--allow-remote"] if args.allow_remote else []
    if args.max_bytes is not None and program == "ib_flight_peer":
        raise SystemExit("--max-bytes: ib_flight_peer has no size limit of its own")
    max_bytes = "--max-message-bytes" if program == "ib_zmq_worker" else "--max-bytes"
    argv += [f"{max_bytes}={args.max_bytes}"] if args.max_bytes is not None else []
    if args.io_timeout_ms is not None and program != "ib_worker":
        raise SystemExit(f"--io-timeout-ms is ib_worker's; {program} bounds its waits itself")
    argv += [f"--io-timeout-ms={args.io_timeout_ms}"] if args.io_timeout_ms is not None else []
    os.execv(worker, argv)  # the peer is this process from here on (Ctrl-C stops it)
