"""interop-bench: measure the ways of moving large arrays between Python and C++."""

__version__ = "0.1.0"
