"""Contingency-table statistics (Cohen's kappa, its standard error, agreement share) and
their vectorized estimates with intervals for many tables at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.stats import norm

from ._common import (
    BoolArray,
    FloatArray,
    IntArray,
    KappaWeights,
    bootstrap_tables,
    percentile_ci_rows,
)


def disagreement_weights(n_classes: int, weights: KappaWeights) -> FloatArray:
    """Disagreement weights w_ij (0 on the diagonal) for nominal, linear or quadratic kappa."""
    idx = np.arange(n_classes, dtype=np.float64)
    diff = np.abs(idx[:, None] - idx[None, :])
    if weights is None:
        return (diff > 0).astype(np.float64)
    if weights == "linear":
        return diff
    if weights == "quadratic":
        return diff**2
    raise ValueError(f"unknown kappa weights {weights!r}")


def kappa_from_tables(tables: FloatArray, w: FloatArray) -> FloatArray:
    """Cohen's kappa of (..., K*K) flattened contingency tables, with disagreement weights w.

    kappa = 1 - sum(w * observed) / sum(w * expected), expected = outer(row, col) / n.
    NaN where the expected disagreement is zero (one class only).
    """
    k = w.shape[0]
    t = tables.reshape(*tables.shape[:-1], k, k)
    n = t.sum(axis=(-2, -1))
    rows = t.sum(axis=-1)
    cols = t.sum(axis=-2)
    observed = np.einsum("...ij,ij->...", t, w)
    expected = np.einsum("...i,ij,...j->...", rows, w, cols)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = expected / n
        kappa = 1.0 - observed / expected
    return np.where(expected > 0, kappa, np.nan)


def kappa_standard_error(tables: FloatArray, w: FloatArray) -> FloatArray:
    """Large-sample standard error of (weighted) Cohen's kappa for (..., K*K) tables.

    Fleiss, Cohen & Everitt (1969), in the general weighted form used by SAS and statsmodels:
    with agreement weights a = 1 - w / max(w), row/column marginals r, c, a_i. = sum_j c_j a_ij,
    a_.j = sum_i r_i a_ij and expected weighted agreement p_e,
    var = [sum_ij p_ij (a_ij - (a_i. + a_.j)(1 - kappa))^2 - (kappa - p_e (1 - kappa))^2]
          / ((1 - p_e)^2 n).
    """
    k = w.shape[0]
    t = tables.reshape(*tables.shape[:-1], k, k)
    n = t.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = t / n[..., None, None]
        agree = 1.0 - w / w.max() if w.max() > 0 else np.ones_like(w)
        r = p.sum(axis=-1)
        c = p.sum(axis=-2)
        a_row = np.einsum("...j,ij->...i", c, agree)
        a_col = np.einsum("...i,ij->...j", r, agree)
        pe = np.einsum("...i,ij,...j->...", r, agree, c)
        kappa = kappa_from_tables(tables, w)
        dev = agree - (a_row[..., :, None] + a_col[..., None, :]) * (1.0 - kappa)[..., None, None]
        term = (p * dev**2).sum(axis=(-2, -1))
        var = (term - (kappa - pe * (1.0 - kappa)) ** 2) / ((1.0 - pe) ** 2 * n)
    return np.sqrt(np.maximum(var, 0.0))


def agreement_from_tables(tables: FloatArray, n_classes: int) -> FloatArray:
    """Share of items on the diagonal of (..., K*K) flattened contingency tables."""
    t = tables.reshape(*tables.shape[:-1], n_classes, n_classes)
    n = t.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.trace(t, axis1=-2, axis2=-1) / n


def table_estimates(
    tables: FloatArray,
    statistic: Callable[[FloatArray], FloatArray],
    *,
    required: int,
    n_boot: int,
    rng: np.random.Generator,
    confidence: float,
    standard_error: Callable[[FloatArray], FloatArray] | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, IntArray, BoolArray]:
    """Point values, intervals, item counts and the enough-mask for P tables.

    Intervals are percentile-bootstrap, or value -/+ z * ``standard_error`` when given.
    """
    if standard_error is None:
        return table_estimates_many(
            tables, [statistic], required=required, n_boot=n_boot, rng=rng, confidence=confidence
        )[0]
    n_items = tables.sum(axis=1).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = statistic(tables)
    enough = (n_items >= required) & np.isfinite(value)
    low = np.full(value.shape, np.nan)
    high = np.full(value.shape, np.nan)
    z = float(norm.ppf(0.5 + confidence / 2.0))
    se = standard_error(tables[enough])
    low[enough] = value[enough] - z * se
    high[enough] = value[enough] + z * se
    return np.where(enough, value, np.nan), low, high, n_items, enough


def table_estimates_many(
    tables: FloatArray,
    statistics: Sequence[Callable[[FloatArray], FloatArray]],
    *,
    required: int,
    n_boot: int,
    rng: np.random.Generator,
    confidence: float,
) -> list[tuple[FloatArray, FloatArray, FloatArray, IntArray, BoolArray]]:
    """Like :func:`table_estimates` for several statistics of the same tables, sharing one set
    of bootstrap draws."""
    n_items = tables.sum(axis=1).astype(np.int64)

    def stacked(t: FloatArray) -> FloatArray:
        return np.stack([f(t) for f in statistics], axis=-1)

    with np.errstate(divide="ignore", invalid="ignore"):
        values = stacked(tables)
    big = n_items >= required
    reps = np.empty((0,))
    if big.any() and n_boot > 0:
        reps = bootstrap_tables(tables[big], stacked, n_boot=n_boot, rng=rng)
    out = []
    for j in range(len(statistics)):
        value = values[:, j]
        enough = big & np.isfinite(value)
        low = np.full(value.shape, np.nan)
        high = np.full(value.shape, np.nan)
        if reps.ndim == 3:
            sel = enough[big]
            low[enough], high[enough] = percentile_ci_rows(reps[:, sel, j], confidence)
        out.append((np.where(enough, value, np.nan), low, high, n_items, enough))
    return out
