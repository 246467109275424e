"""Every strategy, by name. Adding a strategy is one line here.

Entries are "module:Class" strings, imported on first use, so that listing the
registry never needs a native module and one strategy that failed to build
does not take the others down.
"""

from __future__ import annotations

STRATEGIES: dict[str, str] = {
    "numpy": "numpy:NumpyStrategy",
    "capi": "capi:CapiStrategy",
    "ctypes": "ctypes:CtypesStrategy",
    "ctypes-ndpointer": "ctypes_ndpointer:CtypesNdpointerStrategy",
    "ctypes-voidp": "ctypes_voidp:CtypesVoidpStrategy",
    "ctypes-list": "ctypes_list:CtypesListStrategy",
    "pybind11": "pybind11:Pybind11Strategy",
    "pybind11-stl": "pybind11_stl:Pybind11StlStrategy",
    "nanobind": "nanobind:NanobindStrategy",
    "shm": "shm:ShmStrategy",
    "shm-futex": "shm_futex:ShmFutexStrategy",
    "shm-copy": "shm_copy:ShmCopyStrategy",
    "pipe": "pipe:PipeStrategy",
    "uds": "uds:UdsStrategy",
    "tcp": "tcp:TcpStrategy",
    "arrow-flight": "arrow_flight:ArrowFlightStrategy",
    "mp-shm": "mp_shm:MpShmStrategy",
    "file-mmap": "file_mmap:FileMmapStrategy",
    "zmq": "zmq:ZmqStrategy",
    "zmq-copy": "zmq:ZmqCopyStrategy",
    "zmq-tcp": "zmq_tcp:ZmqTcpStrategy",
    "zmq-tcp-plain": "zmq_tcp:ZmqTcpPlainStrategy",
    "json": "json:JsonStrategy",
    "json-fast": "json_fast:JsonFastStrategy",
    "flatbuffers": "flatbuffers:FlatBuffersStrategy",
    "dlpack": "dlpack:DlpackStrategy",
    "arrow": "arrow:ArrowStrategy",
    "cython": "cython:CythonStrategy",
    "cffi": "cffi:CffiStrategy",
    "msgpack": "msgpack:MsgpackStrategy",
    "msgpack-list": "msgpack:MsgpackListStrategy",
    "protobuf": "protobuf:ProtobufStrategy",
    "protobuf-packed": "protobuf:ProtobufPackedStrategy",
    "capnp": "capnp:CapnpStrategy",
    "capnp-list": "capnp:CapnpListStrategy",
    "pickle5": "pickle5:Pickle5Strategy",
    "pickle": "pickle5:PickleStrategy",
    "swig": "swig:SwigStrategy",
    "cppyy": "cppyy:CppyyStrategy",
    "grpc": "grpc_array:GrpcStrategy",
    "grpc-stream": "grpc_array:GrpcStreamStrategy",
}
