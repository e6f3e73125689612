"""Anomaly flags on experts, each with the evidence behind it.

A flag is a prompt for a human to look, not a verdict: nothing here punishes anyone. Tests are
one-sided or two-sided binomial/hypergeometric tails, Bonferroni-adjusted across the experts
tested, *and* an effect-size floor, so a large project does not flag people for noise and a
small one does not flag on tiny samples. Near-duplicate free text is in :mod:`.textdup`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import binom, hypergeom

from ._common import BoolArray, FloatArray, group_median, int_codes, n_codes, same_length

FlagKind: TypeAlias = Literal[
    "speeder", "straight_lining", "position_bias", "near_duplicate_text", "gold_drop"
]
Evidence: TypeAlias = Mapping[str, float | int | str | tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class Flag:
    kind: FlagKind
    worker: int
    message: str
    evidence: Evidence = field(default_factory=dict)


def _bonferroni(p: FloatArray, tested: BoolArray) -> FloatArray:
    m = max(int(tested.sum()), 1)
    return np.where(tested, np.minimum(p * m, 1.0), 1.0)


def fast_submissions(durations: ArrayLike, fast_fraction: float = 0.25) -> BoolArray:
    """Submissions whose active time is below ``fast_fraction`` x the project's median."""
    d = np.asarray(durations, dtype=np.float64)
    if d.size == 0:
        return np.zeros(0, dtype=bool)
    return d < fast_fraction * float(np.median(d))


def speeder_flags(
    workers: ArrayLike,
    durations: ArrayLike,
    *,
    n_workers: int | None = None,
    fast_fraction: float = 0.25,
    min_share: float = 0.3,
    min_submissions: int = 10,
) -> list[Flag]:
    """Experts whose submissions are often far faster than the project's median active time.

    Flagged when at least ``min_share`` of an expert's submissions (and at least
    ``min_submissions`` of them in total) took less than ``fast_fraction`` of the project
    median. Durations are active seconds per submission.
    """
    wk = int_codes(workers, "workers", n_workers)
    d = np.asarray(durations, dtype=np.float64)
    same_length(workers=wk, durations=d)
    if d.size == 0:
        return []
    n_w = n_codes(wk, n_workers)
    project_median = float(np.median(d))
    fast = d < fast_fraction * project_median
    n = np.bincount(wk, minlength=n_w)
    n_fast = np.bincount(wk, weights=fast, minlength=n_w).round().astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = n_fast / n
    med = group_median(wk, d, n_w)
    hit = np.flatnonzero((n >= min_submissions) & (share >= min_share))
    return [
        Flag(
            "speeder",
            int(w),
            f"{share[w]:.0%} of {n[w]} submissions took under {fast_fraction:.0%} of the "
            f"project's median active time (expert median {med[w]:.0f} s, "
            f"project median {project_median:.0f} s)",
            {
                "n_submissions": int(n[w]),
                "n_fast": int(n_fast[w]),
                "share_fast": float(share[w]),
                "worker_median_seconds": float(med[w]),
                "project_median_seconds": project_median,
                "fast_fraction": fast_fraction,
            },
        )
        for w in hit
    ]


def straight_lining_flags(
    workers: ArrayLike,
    labels: ArrayLike,
    n_classes: int,
    *,
    n_workers: int | None = None,
    min_submissions: int = 20,
    min_excess: float = 0.2,
    alpha: float = 0.01,
) -> list[Flag]:
    """Experts who give the same answer far more often than its base rate.

    For each expert, take their most frequent answer; its base rate is its share among all
    *other* experts' answers. One-sided binomial tail P(X >= count | n, base rate),
    Bonferroni-adjusted across tested experts; flagged when adjusted p < ``alpha`` and the
    expert's share exceeds the base rate by at least ``min_excess``.
    """
    wk = int_codes(workers, "workers", n_workers)
    lab = int_codes(labels, "labels", n_classes)
    same_length(workers=wk, labels=lab)
    k = n_classes
    n_w = n_codes(wk, n_workers)
    per = np.bincount(wk * k + lab, minlength=n_w * k).reshape(n_w, k)
    n = per.sum(axis=1)
    top = per.argmax(axis=1)
    count = per[np.arange(n_w), top]
    total = per.sum(axis=0)
    others_n = lab.shape[0] - n
    with np.errstate(divide="ignore", invalid="ignore"):
        base = (total[top] - count) / others_n
        share = count / n
    tested = (n >= min_submissions) & (others_n > 0)
    base_safe = np.clip(np.nan_to_num(base, nan=1.0), 1e-12, 1.0)
    p = np.where(tested, binom.sf(count - 1, n, base_safe), 1.0)
    p_adj = _bonferroni(p, tested)
    hit = np.flatnonzero(tested & (p_adj < alpha) & (share - base >= min_excess))
    return [
        Flag(
            "straight_lining",
            int(w),
            f"answered {int(top[w])} on {share[w]:.0%} of {n[w]} submissions; other experts "
            f"gave that answer {base[w]:.0%} of the time (adjusted p={p_adj[w]:.2g})",
            {
                "label": int(top[w]),
                "share": float(share[w]),
                "base_rate": float(base[w]),
                "n_submissions": int(n[w]),
                "p_value": float(p[w]),
                "p_adjusted": float(p_adj[w]),
            },
        )
        for w in hit
    ]


def position_bias_flags(
    workers: ArrayLike,
    choices: ArrayLike,
    *,
    n_workers: int | None = None,
    expected: float = 0.5,
    min_submissions: int = 20,
    min_deviation: float = 0.15,
    alpha: float = 0.01,
) -> list[Flag]:
    """Experts who pick the first (or second) shown response far more often than chance.

    ``choices`` are positions as shown: 0 = first (A), 1 = second (B); any other code (e.g. a
    tie) is ignored. With randomised display order the truth is balanced, so the share of A
    should be ``expected``. Two-sided binomial test, Bonferroni-adjusted, plus a minimum
    deviation of ``min_deviation`` from ``expected``.
    """
    wk = int_codes(workers, "workers", n_workers)
    ch = np.asarray(choices)
    same_length(workers=wk, choices=ch)
    n_w = n_codes(wk, n_workers)
    keep = (ch == 0) | (ch == 1)
    wk, first = wk[keep], ch[keep] == 0
    n = np.bincount(wk, minlength=n_w)
    k = np.bincount(wk, weights=first, minlength=n_w).round().astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = k / n
    lower = binom.cdf(k, n, expected)
    upper = binom.sf(k - 1, n, expected)
    p = np.minimum(1.0, 2.0 * np.minimum(lower, upper))
    tested = n >= min_submissions
    p_adj = _bonferroni(p, tested)
    hit = np.flatnonzero(tested & (p_adj < alpha) & (np.abs(rate - expected) >= min_deviation))
    return [
        Flag(
            "position_bias",
            int(w),
            f"picked the {'first' if rate[w] > expected else 'second'} response in "
            f"{max(rate[w], 1 - rate[w]):.0%} of {n[w]} comparisons "
            f"(expected {expected:.0%}; adjusted p={p_adj[w]:.2g})",
            {
                "n_comparisons": int(n[w]),
                "first_rate": float(rate[w]),
                "expected": expected,
                "p_value": float(p[w]),
                "p_adjusted": float(p_adj[w]),
            },
        )
        for w in hit
    ]


def gold_drop_flags(
    workers: ArrayLike,
    correct: ArrayLike,
    order: ArrayLike,
    *,
    n_workers: int | None = None,
    window: int = 20,
    min_history: int = 20,
    min_drop: float = 0.2,
    alpha: float = 0.01,
) -> list[Flag]:
    """Experts whose accuracy on their latest ``window`` gold answers fell sharply.

    Gold answers are put in ``order`` (e.g. submission timestamps) per expert; the last
    ``window`` are compared with all earlier ones (at least ``min_history``) by a one-sided
    Fisher exact test (hypergeometric tail: this few correct in the recent window, given the
    expert's total). Flagged when the Bonferroni-adjusted p < ``alpha`` and the accuracy drop
    is at least ``min_drop``.
    """
    wk = int_codes(workers, "workers", n_workers)
    ok = np.asarray(correct, dtype=bool)
    t = np.asarray(order)
    same_length(workers=wk, correct=ok, order=t)
    n_w = n_codes(wk, n_workers)
    idx = np.lexsort((t, wk))
    wk_s, ok_s = wk[idx], ok[idx]
    n = np.bincount(wk_s, minlength=n_w)
    start = np.cumsum(n) - n
    position = np.arange(wk_s.shape[0]) - start[wk_s]
    recent = position >= (n[wk_s] - window)
    c_total = np.bincount(wk_s, weights=ok_s, minlength=n_w).round().astype(np.int64)
    c_recent = np.bincount(wk_s, weights=ok_s & recent, minlength=n_w).round().astype(np.int64)
    n_recent = np.minimum(n, window)
    n_early = n - n_recent
    tested = n_early >= min_history
    with np.errstate(divide="ignore", invalid="ignore"):
        acc_early = (c_total - c_recent) / n_early
        acc_recent = c_recent / n_recent
    p = np.where(tested, hypergeom.cdf(c_recent, n, c_total, n_recent), 1.0)
    p_adj = _bonferroni(p, tested)
    hit = np.flatnonzero(tested & (p_adj < alpha) & (acc_early - acc_recent >= min_drop))
    return [
        Flag(
            "gold_drop",
            int(w),
            f"gold accuracy fell from {acc_early[w]:.0%} ({n_early[w]} earlier answers) to "
            f"{acc_recent[w]:.0%} on the last {n_recent[w]} (adjusted p={p_adj[w]:.2g})",
            {
                "accuracy_before": float(acc_early[w]),
                "accuracy_recent": float(acc_recent[w]),
                "n_before": int(n_early[w]),
                "n_recent": int(n_recent[w]),
                "p_value": float(p[w]),
                "p_adjusted": float(p_adj[w]),
            },
        )
        for w in hit
    ]
