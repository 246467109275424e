"""Reading results files: loading, statistics between runs, rankings, verdicts.

Nothing here imports the runner or a strategy: a results file from another
machine or an old commit is analysed exactly like a fresh one.
"""
