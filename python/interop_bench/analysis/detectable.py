"""The smallest slowdown the gate could have flagged in a cell, from its interval.

A slowdown of X applied to every process of the new side (what `ab
--inject-slowdown` does) multiplies the cell's ratio new / old and both ends of
its interval by 1 + X and leaves the spread of the pairs alone. The gate calls a
cell a regression when it is significant after Benjamini-Hochberg at `alpha`
over the N cells tested and its ratio exceeds 1 + threshold. A p-value at most
alpha / N is significant whatever the other cells' p-values are, and it is
exactly an interval at confidence 1 - alpha / N that lies above 1. So:

    detectable = max(1 / low, (1 + threshold) / ratio) - 1, at least 0,

where `low` is the lower end of the cell's interval at 1 - alpha / N: a slowdown
larger than it would have put that interval's lower end above 1 and the change
above the threshold, and been flagged for certain. It is measured from where
this run's ratio stands (a cell that got faster needs more to be flagged; one
already flagged needs nothing), and it is an upper bound: when other cells moved
too, Benjamini-Hochberg flags at a laxer level and a smaller slowdown may do.
"""

from __future__ import annotations

from interop_bench.analysis.units import format_percent
from interop_bench.intervals import RatioTest

# Past a tenfold slowdown the figure says only that the cell's interval reaches
# near zero (one noisy pair can put its lower end at 1e-8): the gate sees nothing
# there, which "none" says; a percentage with ten digits would only mislead.
NONE_ABOVE = 9.0

RULE = (
    "detectable: a slowdown of this checkout larger than this would certainly have been "
    "flagged in the cell: its interval at the gate's strictest level (1 - alpha/N, N cells "
    "tested) would lie above no change, and the change above the threshold"
)


def smallest_detectable(
    test: RatioTest, ratio: float, *, threshold: float, alpha: float, tested: int
) -> float:
    """The slowdown (0.1 = 10%) past which this cell is a regression for certain;
    `ratio` is the cell's new / old median, `tested` the count of cells tested."""
    strict_low = test.low_at(1 - alpha / max(tested, 1))
    return max(1 / strict_low, (1 + threshold) / ratio, 1.0) - 1


def format_detectable(detectable: float) -> str:
    """A detectable slowdown as the tables print it: "+25.0%", or "none (over 10x)"."""
    if detectable > NONE_ABOVE:
        return f"none (over {NONE_ABOVE + 1:g}x)"
    return format_percent(detectable)
