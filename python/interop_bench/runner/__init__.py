"""The measurement engine behind `interop-bench run`.

Each module does one job: the plan and the request (what to measure), the
passes (one measuring process after another) and the merge of their records,
the pass engine, one cell, timing, the floors as turns, memory, noise, the
environment. Readers of results files (`report`, `compare`) import none of
this: they read `interop_bench.results_file`.
"""
