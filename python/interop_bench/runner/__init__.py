"""The measurement engine behind `interop-bench run`.

Each module does one job (stats, timing, memory, floors, environment, plan,
engine, results). This file imports nothing, so that readers of results files
(`report`, `compare`) can import `interop_bench.runner.results` without pulling
in the runner or any strategy.
"""
