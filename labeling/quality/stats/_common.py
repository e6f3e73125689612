"""Shared result types, input checks and the vectorized bootstrap used by every module.

Inputs everywhere are integer-coded numpy arrays of equal length: one entry per annotation
(``items[k]``, ``workers[k]``, ``labels[k]``), with codes ``0 .. n-1``. Nothing here loops in
Python over annotations.

Bootstrap. Every statistic in this package is a function of *sums over items* of a small
per-item vector, and that vector depends only on the item's "type" (its label-count row, or
the cell of a contingency table it falls into). Resampling N items with replacement is then
exactly a multinomial draw of N over the observed types, with the observed type frequencies
as probabilities. Drawing that multinomial costs O(B × types) instead of O(B × N), which is
what makes a 1000-replicate percentile bootstrap over 100k items take well under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray: TypeAlias = NDArray[np.float64]
IntArray: TypeAlias = NDArray[np.int64]
BoolArray: TypeAlias = NDArray[np.bool_]
Seed: TypeAlias = int | np.random.Generator
KappaWeights: TypeAlias = Literal["linear", "quadratic"] | None

# "Not enough data" thresholds (all overridable per call; documented in
# docs/quality-statistics.md).
MIN_ITEMS_AGREEMENT = 10  # items with >= 2 ratings for alpha / Fleiss / percent agreement
MIN_SHARED_ITEMS_PAIR = 20  # items two experts share before their Cohen's kappa is shown
MIN_ITEMS_EXPERT = 10  # items an expert shares with others before "expert vs the others"
MIN_GOLD_ITEMS = 5  # gold answers before an expert's gold accuracy is shown
MIN_ITEMS_JUDGE = 30  # items with a consensus and a judge verdict
DEFAULT_N_BOOT = 1000
DEFAULT_CONFIDENCE = 0.95

# Cap on the size of one block of bootstrap draws (replicates x types), to bound memory.
_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True, slots=True)
class Estimate:
    """A statistic with its percentile-bootstrap (or analytic) confidence interval."""

    value: float
    ci_low: float
    ci_high: float
    n_items: int

    @property
    def enough(self) -> bool:
        return True

    def __str__(self) -> str:
        return f"{self.value:.2f} [{self.ci_low:.2f}, {self.ci_high:.2f}] (n={self.n_items})"


@dataclass(frozen=True, slots=True)
class NotEnoughData:
    """Shown instead of a number when too few items support the statistic."""

    reason: str
    n_items: int
    required: int

    @property
    def enough(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"not enough data: {self.reason} ({self.n_items} of {self.required} needed)"


Result: TypeAlias = Estimate | NotEnoughData


@dataclass(frozen=True, slots=True)
class EstimateTable:
    """One estimate per key (expert, expert pair, ...), stored column-wise.

    ``enough[k]`` is False where ``n_items[k] < required`` (or the statistic is undefined);
    ``value``/``ci_low``/``ci_high`` are NaN there. ``get(key)`` returns the scalar view.
    """

    keys: IntArray
    value: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    n_items: IntArray
    enough: BoolArray
    required: int
    statistic: str

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def get(self, key: int) -> Result:
        hit = np.flatnonzero(self.keys == key)
        if hit.size == 0:
            return NotEnoughData(f"no {self.statistic} data", 0, self.required)
        k = int(hit[0])
        if not self.enough[k]:
            reason = f"too few items for {self.statistic}"
            if self.n_items[k] >= self.required:
                reason = f"{self.statistic} undefined (no variation)"
            return NotEnoughData(reason, int(self.n_items[k]), self.required)
        return Estimate(
            float(self.value[k]),
            float(self.ci_low[k]),
            float(self.ci_high[k]),
            int(self.n_items[k]),
        )


# --- input handling -------------------------------------------------------------------------


def rng_from(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def int_codes(values: ArrayLike, name: str, n: int | None = None) -> IntArray:
    """Return ``values`` as a 1-D int64 array, checking the codes are in ``0 .. n-1``."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    integral = np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.bool_)
    if arr.size and not integral and not np.all(np.equal(np.mod(arr, 1), 0)):
        raise ValueError(f"{name} must hold integer codes")
    out = arr.astype(np.int64, copy=False)
    if out.size:
        if out.min() < 0:
            raise ValueError(f"{name} must hold non-negative codes")
        if n is not None and out.max() >= n:
            raise ValueError(f"{name} holds a code >= {n}")
    return out


def same_length(**arrays: NDArray[np.generic]) -> int:
    lengths = {name: a.shape[0] for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays differ in length: {lengths}")
    return next(iter(lengths.values()), 0)


def n_codes(arr: IntArray, n: int | None) -> int:
    """``n`` if given, else one past the largest code in ``arr``."""
    if n is not None:
        return int(n)
    return int(arr.max()) + 1 if arr.size else 0


def ragged_arange(counts: IntArray) -> IntArray:
    """Concatenation of ``arange(c)`` for each ``c`` in ``counts`` (vectorized)."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def group_median(groups: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Median of ``values`` within each group (NaN for empty groups), by one lexsort."""
    out = np.full(n_groups, np.nan)
    if groups.size == 0:
        return out
    order = np.argsort(values, kind="stable")
    order = order[np.argsort(groups[order], kind="stable")]
    sorted_values = values[order]
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    has = counts > 0
    lo = starts[has] + (counts[has] - 1) // 2
    hi = starts[has] + counts[has] // 2
    out[has] = (sorted_values[lo] + sorted_values[hi]) / 2.0
    return out


# --- bootstrap ------------------------------------------------------------------------------


def percentile_ci(samples: FloatArray, level: float) -> tuple[float, float]:
    """Percentile interval of bootstrap replicates along the first axis (NaNs ignored)."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return (float(low), float(high))


def percentile_ci_rows(samples: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """Column-wise percentile interval of a (replicates, keys) array (NaNs ignored)."""
    tail = (1.0 - level) / 2.0 * 100.0
    if samples.shape[1] == 0:
        return np.zeros(0), np.zeros(0)
    if np.isfinite(samples).all():
        low, high = np.percentile(samples, [tail, 100.0 - tail], axis=0)
        return low, high
    all_nan = np.all(~np.isfinite(samples), axis=0)
    safe = np.where(np.isfinite(samples), samples, np.nan)
    safe[:, all_nan] = 0.0
    low, high = np.nanpercentile(safe, [tail, 100.0 - tail], axis=0)
    low[all_nan] = np.nan
    high[all_nan] = np.nan
    return low, high


def unique_types(rows: IntArray) -> tuple[IntArray, IntArray]:
    """Distinct rows of a 2-D integer array and how often each occurs.

    Rows are packed into one integer key where that fits (much faster than a row-wise
    ``np.unique(axis=0)``)."""
    if rows.shape[0] == 0:
        return rows, np.zeros(0, dtype=np.int64)
    base = int(rows.max()) + 1
    if base ** rows.shape[1] < 2**62:
        key = rows @ (base ** np.arange(rows.shape[1] - 1, -1, -1, dtype=np.int64))
        _, first, counts = np.unique(key, return_index=True, return_counts=True)
        return rows[first], counts.astype(np.int64)
    uniq, counts = np.unique(rows, axis=0, return_counts=True)
    return uniq.astype(np.int64), counts.astype(np.int64)


def bootstrap_types(
    type_counts: IntArray,
    statistic: Callable[[FloatArray], FloatArray],
    *,
    n_boot: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Bootstrap replicates of a statistic of per-type weights.

    ``statistic`` maps a (B, T) array of type multiplicities to B values; it is called on the
    observed ``type_counts`` for the point estimate by the caller and here on ``n_boot``
    multinomial resamples of the items (same total, probabilities ``type_counts / total``).
    """
    total = int(type_counts.sum())
    n_types = type_counts.shape[0]
    if n_boot <= 0 or total == 0:
        return np.zeros(0)
    probs = type_counts / total
    block = max(1, min(n_boot, _BLOCK_CELLS // max(n_types, 1)))
    out = np.empty(n_boot)
    done = 0
    while done < n_boot:
        b = min(block, n_boot - done)
        draws = rng.multinomial(total, probs, size=b).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[done : done + b] = statistic(draws)
        done += b
    return out


def bootstrap_tables(
    tables: FloatArray,
    statistic: Callable[[FloatArray], FloatArray],
    *,
    n_boot: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Bootstrap replicates for many contingency tables at once.

    ``tables`` has shape (P, C): P independent tables (e.g. expert pairs) of C cells each, with
    integer counts. Resampling a table's items = multinomial over its cells. ``statistic`` maps
    (..., C) tables to (...) values, or to (..., S) for S statistics at once. Returns
    (n_boot, P) or (n_boot, P, S).
    """
    n_tables, n_cells = tables.shape
    if n_boot <= 0 or n_tables == 0:
        return np.empty((max(n_boot, 0), n_tables))
    totals = tables.sum(axis=1).astype(np.int64)
    safe_totals = np.maximum(totals, 1)
    probs = tables / safe_totals[:, None]
    probs[totals == 0] = 1.0 / n_cells
    block = max(1, min(n_boot, _BLOCK_CELLS // max(n_tables * n_cells, 1)))
    out: FloatArray | None = None
    done = 0
    while done < n_boot:
        b = min(block, n_boot - done)
        draws = rng.multinomial(totals, probs, size=(b, n_tables)).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = statistic(draws)
        if out is None:
            out = np.empty((n_boot, *values.shape[1:]))
        out[done : done + b] = values
        done += b
    assert out is not None
    return out
