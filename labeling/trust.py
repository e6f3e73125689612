"""Trust in an expert from their gold record.

A handful of gold answers says little: 2 of 3 correct has a Wilson 95% lower bound of 0.21. So
suspension acts on the posterior probability that the expert's accuracy is below the project's
threshold (Beta(1, 1) prior), not on raw counts.
"""

import math

from scipy.stats import beta

Z95 = 1.959963984540054


def wilson_lower_bound(correct: int, seen: int, z: float = Z95) -> float | None:
    if seen == 0:
        return None
    p = correct / seen
    denom = 1 + z * z / seen
    centre = p + z * z / (2 * seen)
    margin = z * math.sqrt(p * (1 - p) / seen + z * z / (4 * seen * seen))
    return max(0.0, (centre - margin) / denom)


def probability_below(correct: int, seen: int, threshold: float) -> float:
    """P(accuracy < threshold | correct of seen), with a uniform Beta(1, 1) prior."""
    return float(beta.cdf(threshold, 1 + correct, 1 + seen - correct))
