"""`python -m interop_bench`: the same command line as the `interop-bench` script."""

import sys

from interop_bench.cli import main

sys.exit(main())
