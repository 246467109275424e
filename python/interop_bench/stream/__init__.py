"""Real-time streams: frames at a fixed rate, latency from each frame's due time.

`interop-bench stream` (stream_command.py) drives stream/run.py, which runs
each cell in a fresh process (stream/process.py -> stream/cell.py ->
stream/schedule.py) and summarizes the processes (stream/figures.py).
"""
