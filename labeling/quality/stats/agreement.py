"""Inter-annotator agreement: Krippendorff's alpha, percent agreement, Fleiss' and Cohen's kappa.

Unit-level statistics take a ``counts`` matrix (items x values: how many experts gave each value
to each item; build it with :func:`value_counts`). Pair and per-expert statistics take the
integer-coded annotation arrays. Every estimate comes with a percentile-bootstrap interval over
items (seeded) and the number of items behind it, or a :class:`NotEnoughData` marker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from ._common import (
    DEFAULT_CONFIDENCE,
    DEFAULT_N_BOOT,
    MIN_ITEMS_AGREEMENT,
    MIN_SHARED_ITEMS_PAIR,
    Estimate,
    FloatArray,
    IntArray,
    KappaWeights,
    NotEnoughData,
    Result,
    Seed,
    bootstrap_types,
    int_codes,
    n_codes,
    percentile_ci,
    rng_from,
    same_length,
    unique_types,
)
from ._tables import (
    disagreement_weights,
    kappa_from_tables,
    table_estimates,
)

Level: TypeAlias = Literal["nominal", "ordinal", "interval", "ratio"]


def measurement_level(kind: Literal["choice", "pairwise", "scale", "rank", "numeric"]) -> Level:
    """The level of measurement for a kind of answer: nominal choices, ordinal scales and ranks,
    interval numbers."""
    return {
        "choice": "nominal",
        "pairwise": "nominal",
        "scale": "ordinal",
        "rank": "ordinal",
        "numeric": "interval",
    }[kind]  # type: ignore[return-value]


def value_counts(
    items: ArrayLike, labels: ArrayLike, n_values: int, n_items: int | None = None
) -> IntArray:
    """Items x values count matrix from coded annotations (one row per item code)."""
    it = int_codes(items, "items", n_items)
    lab = int_codes(labels, "labels", n_values)
    same_length(items=it, labels=lab)
    n_units = n_codes(it, n_items)
    flat = np.bincount(it * n_values + lab, minlength=n_units * n_values)
    return flat.reshape(n_units, n_values).astype(np.int64)


def _pairable(counts: ArrayLike) -> IntArray:
    c = np.asarray(counts)
    if c.ndim != 2:
        raise ValueError("counts must be an items x values matrix")
    c = c.astype(np.int64)
    if c.size and c.min() < 0:
        raise ValueError("counts must be non-negative")
    return c[c.sum(axis=1) >= 2]


def _finish(
    stat: Callable[[FloatArray], FloatArray],
    type_counts: IntArray,
    n_items: int,
    *,
    n_boot: int,
    seed: Seed,
    confidence: float,
    undefined: str,
    required: int,
) -> Result:
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(stat(type_counts[None, :].astype(np.float64))[0])
    if not np.isfinite(value):
        return NotEnoughData(undefined, n_items, required)
    reps = bootstrap_types(type_counts, stat, n_boot=n_boot, rng=rng_from(seed))
    low, high = percentile_ci(reps, confidence) if reps.size else (np.nan, np.nan)
    return Estimate(value, low, high, n_items)


def _alpha_statistic(
    types: IntArray, level: Level, values: FloatArray
) -> Callable[[FloatArray], FloatArray]:
    """alpha as a function of (B, T) type weights; types are pairable count rows."""
    t = types.astype(np.float64)
    m = t.sum(axis=1)
    # Per-type coincidence matrices o_t = (n n^T - diag n) / (m - 1).
    o = (t[:, :, None] * t[:, None, :] - t[:, :, None] * np.eye(t.shape[1])) / (m - 1)[
        :, None, None
    ]
    if level == "ordinal":
        o_flat = o.reshape(o.shape[0], -1)
        v = t.shape[1]

        def ordinal(w: FloatArray) -> FloatArray:
            oc = (w @ o_flat).reshape(-1, v, v)
            nv = oc.sum(axis=2)
            n = nv.sum(axis=1)
            r = np.cumsum(nv, axis=1) - nv / 2.0  # mid-ranks: d_ck = (r_c - r_k)^2
            d = (r[:, :, None] - r[:, None, :]) ** 2
            do = np.einsum("bij,bij->b", oc, d)
            de = np.einsum("bi,bij,bj->b", nv, d, nv)
            return np.where(de > 0, 1.0 - (n - 1.0) * do / de, np.nan)

        return ordinal
    diff = values[:, None] - values[None, :]
    if level == "nominal":
        d = (np.arange(len(values))[:, None] != np.arange(len(values))[None, :]).astype(float)
    elif level == "interval":
        d = diff**2
    elif level == "ratio":
        total = values[:, None] + values[None, :]
        d = np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2
    else:
        raise ValueError(f"unknown level of measurement {level!r}")
    do_t = np.einsum("tij,ij->t", o, d)

    def fixed(w: FloatArray) -> FloatArray:
        nv = w @ t
        n = nv.sum(axis=1)
        de = np.einsum("bi,ij,bj->b", nv, d, nv)
        return np.where(de > 0, 1.0 - (n - 1.0) * (w @ do_t) / de, np.nan)

    return fixed


def krippendorff_alpha(
    counts: ArrayLike,
    level: Level = "nominal",
    *,
    values: ArrayLike | None = None,
    min_items: int = MIN_ITEMS_AGREEMENT,
    n_boot: int = DEFAULT_N_BOOT,
    seed: Seed = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Result:
    """Krippendorff's alpha from an items x values count matrix (coincidence-matrix form).

    ``values`` gives the numeric value of each column for interval/ratio data (default
    ``0..V-1``); for ordinal data only the column order matters. Items with fewer than two
    ratings are not pairable and are ignored. alpha = 1 - (n-1) * sum(o*d) / sum(n_c n_k d).
    """
    pairable = _pairable(counts)
    n_items = int(pairable.shape[0])
    if n_items < min_items:
        return NotEnoughData("too few items rated by two or more experts", n_items, min_items)
    v = np.arange(pairable.shape[1], dtype=float) if values is None else np.asarray(values, float)
    if v.shape != (pairable.shape[1],):
        raise ValueError("values must give one number per column of counts")
    types, type_counts = unique_types(pairable)
    stat = _alpha_statistic(types, level, v)
    return _finish(
        stat,
        type_counts,
        n_items,
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
        undefined="all ratings are the same value",
        required=min_items,
    )


def alpha_value(
    counts: ArrayLike, level: Level = "nominal", values: ArrayLike | None = None
) -> float:
    """Point value of Krippendorff's alpha (NaN when undefined), without bootstrap."""
    pairable = _pairable(counts)
    if pairable.shape[0] == 0:
        return float("nan")
    v = np.arange(pairable.shape[1], dtype=float) if values is None else np.asarray(values, float)
    types, type_counts = unique_types(pairable)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(_alpha_statistic(types, level, v)(type_counts[None, :].astype(float))[0])


def percent_agreement(
    counts: ArrayLike,
    *,
    min_items: int = MIN_ITEMS_AGREEMENT,
    n_boot: int = DEFAULT_N_BOOT,
    seed: Seed = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Result:
    """Mean over items (with >= 2 ratings) of the share of rater pairs that agree exactly."""
    pairable = _pairable(counts)
    n_items = int(pairable.shape[0])
    if n_items < min_items:
        return NotEnoughData("too few items rated by two or more experts", n_items, min_items)
    types, type_counts = unique_types(pairable)
    t = types.astype(float)
    m = t.sum(axis=1)
    p_t = (t * (t - 1)).sum(axis=1) / (m * (m - 1))

    def stat(w: FloatArray) -> FloatArray:
        return (w @ p_t) / w.sum(axis=1)

    return _finish(
        stat,
        type_counts,
        n_items,
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
        undefined="no items",
        required=min_items,
    )


def fleiss_kappa(
    counts: ArrayLike,
    *,
    n_raters: int | None = None,
    min_items: int = MIN_ITEMS_AGREEMENT,
    n_boot: int = DEFAULT_N_BOOT,
    seed: Seed = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Result:
    """Fleiss' kappa for a fixed number of ratings per item.

    Only items with exactly ``n_raters`` ratings are used (default: the most common number of
    ratings among items with at least two), so gold items with a larger overlap do not distort
    it. kappa = (P_bar - P_e) / (1 - P_e).
    """
    pairable = _pairable(counts)
    if pairable.shape[0] == 0:
        return NotEnoughData("too few items rated by two or more experts", 0, min_items)
    m_all = pairable.sum(axis=1)
    m = int(np.bincount(m_all).argmax()) if n_raters is None else int(n_raters)
    fixed = pairable[m_all == m]
    n_items = int(fixed.shape[0])
    if n_items < min_items:
        return NotEnoughData(f"too few items with exactly {m} ratings", n_items, min_items)
    types, type_counts = unique_types(fixed)
    t = types.astype(float)
    p_t = ((t * t).sum(axis=1) - m) / (m * (m - 1))

    def stat(w: FloatArray) -> FloatArray:
        total = w.sum(axis=1)
        p_bar = (w @ p_t) / total
        p_j = (w @ t) / (total * m)[:, None]
        p_e = (p_j**2).sum(axis=1)
        return np.where(p_e < 1.0, (p_bar - p_e) / (1.0 - p_e), np.nan)

    return _finish(
        stat,
        type_counts,
        n_items,
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
        undefined="all ratings are the same value",
        required=min_items,
    )


def cohen_kappa(
    labels_a: ArrayLike,
    labels_b: ArrayLike,
    n_classes: int,
    *,
    weights: KappaWeights = None,
    min_items: int = MIN_SHARED_ITEMS_PAIR,
    n_boot: int = DEFAULT_N_BOOT,
    seed: Seed = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Result:
    """Cohen's kappa (optionally linear/quadratic weighted) of two aligned label arrays."""
    a = int_codes(labels_a, "labels_a", n_classes)
    b = int_codes(labels_b, "labels_b", n_classes)
    same_length(labels_a=a, labels_b=b)
    table = np.bincount(a * n_classes + b, minlength=n_classes * n_classes)[None, :].astype(float)
    w = disagreement_weights(n_classes, weights)
    value, low, high, n, enough = table_estimates(
        table,
        lambda t: kappa_from_tables(t, w),
        required=min_items,
        n_boot=n_boot,
        rng=rng_from(seed),
        confidence=confidence,
    )
    if not enough[0]:
        reason = "too few shared items" if n[0] < min_items else "only one class used"
        return NotEnoughData(reason, int(n[0]), min_items)
    return Estimate(float(value[0]), float(low[0]), float(high[0]), int(n[0]))
