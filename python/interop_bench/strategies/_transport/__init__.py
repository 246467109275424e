"""The transport layer: what the strategies that reach another process or host
share, whichever family they belong to.

- worker.py: a worker process's life cycle (start, alive, stop, dies with its
  parent), the Peer protocol and the errors a caller sees;
- protocol.py: the pipe protocol's frames (strategies/_ipc_core/protocol.hpp);
- worker_strategy.py: WorkerStrategy, the base of a strategy whose work runs in
  another process and speaks that protocol; stream_strategy.py and
  socket_stream.py frame it over pipes and stream sockets, zmq_strategy.py over
  ZeroMQ messages;
- segments.py, shm_channel.py, shm_strategy.py: shared-memory segments, the
  channel that signals through them, and the shm strategies' base;
- net_peer.py: a network peer (started locally or named with --peer) and the
  HMAC handshake that authenticates it;
- zmq_channel.py, zmq_tcp_channel.py, grpc_channel.py, grpc_wire.py: the
  ZeroMQ and gRPC channels;
- pickle_frames.py, pickle_worker.py: the pickle strategies' frames and their
  Python worker; npy_directory.py: file-mmap's private tmpfs directory.

A strategy module imports from here and from the other shared modules of
interop_bench.strategies, never from another strategy's module.
"""
