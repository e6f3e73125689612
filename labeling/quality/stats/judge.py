"""LLM-as-judge calibration against expert annotations.

Per judge and criterion: agreement and Cohen's kappa with the expert consensus (bootstrap
intervals), the confusion matrix, the experts' own agreement as the ceiling (median
expert-pair kappa), the Alternative Annotator Test (Calderon, Reichart & Dror, ACL 2025), a
plain verdict, and position bias from verdicts on swapped pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import binom
from scipy.stats import t as student_t

from ._common import (
    DEFAULT_CONFIDENCE,
    DEFAULT_N_BOOT,
    MIN_ITEMS_JUDGE,
    MIN_SHARED_ITEMS_PAIR,
    BoolArray,
    Estimate,
    FloatArray,
    IntArray,
    KappaWeights,
    NotEnoughData,
    Result,
    Seed,
    int_codes,
    n_codes,
    rng_from,
    same_length,
)
from ._tables import (
    agreement_from_tables,
    disagreement_weights,
    kappa_from_tables,
    table_estimates,
)
from .agreement import value_counts
from .gold import wilson_interval
from .pairwise import pairwise_cohen_kappa


def benjamini_yekutieli(p_values: ArrayLike, q: float = 0.05) -> BoolArray:
    """Hypotheses rejected by the Benjamini–Yekutieli step-up procedure at FDR level ``q``.

    Reject the k smallest p-values, k the largest rank with p_(k) <= k q / (m H_m),
    H_m = 1 + 1/2 + ... + 1/m (valid under arbitrary dependence). NaN p-values never reject.
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.shape[0]
    rejected = np.zeros(m, dtype=bool)
    if m == 0:
        return rejected
    order = np.argsort(p)
    harmonic = np.sum(1.0 / np.arange(1, m + 1))
    below = p[order] <= np.arange(1, m + 1) * q / (m * harmonic)
    if below.any():
        rejected[order[: np.flatnonzero(below).max() + 1]] = True
    return rejected


@dataclass(frozen=True, slots=True)
class AltTestResult:
    """Outcome of the Alternative Annotator Test for one judge on one criterion."""

    winning_rate: float  # omega: share of experts for whom the judge wins
    advantage_probability: float  # rho: mean over experts of P(judge aligns at least as well)
    passed: bool  # omega >= 0.5
    n_wins: int
    epsilon: float
    q: float
    experts: IntArray  # experts tested (enough items)
    n_items: IntArray
    rho_judge: FloatArray
    rho_expert: FloatArray
    p_values: FloatArray
    wins: BoolArray  # null rejected after Benjamini–Yekutieli

    @property
    def n_experts(self) -> int:
        return int(self.experts.shape[0])


def alternative_annotator_test(
    items: ArrayLike,
    workers: ArrayLike,
    labels: ArrayLike,
    judge_items: ArrayLike,
    judge_labels: ArrayLike,
    *,
    n_classes: int | None = None,
    n_workers: int | None = None,
    scoring: Literal["accuracy", "neg_rmse"] = "accuracy",
    values: ArrayLike | None = None,
    epsilon: float = 0.2,
    q: float = 0.05,
    min_experts_per_item: int = 3,
    min_items_per_expert: int = 30,
) -> AltTestResult | NotEnoughData:
    """The alt-test: leave one expert out at a time; does the judge represent the others better?

    For excluded expert j and each item i that j annotated (with at least
    ``min_experts_per_item`` experts and a judge verdict): S(x) = alignment of answer x with the
    remaining experts' answers on i (``accuracy``: share equal; ``neg_rmse``: minus the RMSE of
    the numeric ``values``). W_f = [S(judge) >= S(j)], W_h = [S(j) >= S(judge)]. One-sided
    one-sample t-test of d = W_h - W_f, H0: mean(d) >= epsilon (epsilon is the cost-benefit
    margin; 0.2 for experts in the paper), Benjamini–Yekutieli at ``q`` across experts; the
    judge wins for j when H0 is rejected; omega = wins / experts tested; passes when
    omega >= 0.5. rho = mean over experts of mean(W_f).
    """
    it = int_codes(items, "items")
    wk = int_codes(workers, "workers", n_workers)
    lab = int_codes(labels, "labels", n_classes)
    same_length(items=it, workers=wk, labels=lab)
    ji = int_codes(judge_items, "judge_items")
    jl = int_codes(judge_labels, "judge_labels", n_classes)
    same_length(judge_items=ji, judge_labels=jl)
    k = max(n_codes(lab, n_classes), n_codes(jl, n_classes))
    n_i = max(n_codes(it, None), n_codes(ji, None))
    n_w = n_codes(wk, n_workers)
    judge_of = np.full(n_i, -1, dtype=np.int64)
    judge_of[ji] = jl
    counts = value_counts(it, lab, k, n_i)
    n_per_item = counts.sum(axis=1)
    keep = (judge_of[it] >= 0) & (n_per_item[it] >= max(min_experts_per_item, 2))
    it, wk, lab = it[keep], wk[keep], lab[keep]
    f = judge_of[it]
    c = counts[it].astype(np.float64)
    if scoring == "accuracy":
        rows = np.arange(it.shape[0])
        others = c.copy()
        others[rows, lab] -= 1.0
        s_h, s_f = others[rows, lab], others[rows, f]  # common denominator n_i - 1 dropped
    elif scoring == "neg_rmse":
        v = np.arange(k, dtype=float) if values is None else np.asarray(values, dtype=float)
        sq = (v[None, :] - v[:, None]) ** 2  # sq[x, y] = (v_x - v_y)^2
        s_h = -(c * sq[lab]).sum(axis=1)
        s_f = -((c * sq[f]).sum(axis=1) - sq[f, lab])
    else:
        raise ValueError(f"unknown scoring {scoring!r}")
    w_f = (s_f >= s_h).astype(np.float64)
    d = (s_h >= s_f).astype(np.float64) - w_f
    n = np.bincount(wk, minlength=n_w)
    tested = np.flatnonzero(n >= min_items_per_expert)
    if tested.size == 0:
        return NotEnoughData(
            f"no expert has {min_items_per_expert} items with {min_experts_per_item}+ experts "
            "and a judge verdict",
            int(n.max()) if n.size else 0,
            min_items_per_expert,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_d = np.bincount(wk, weights=d, minlength=n_w) / n
        var = np.bincount(wk, weights=(d - mean_d[wk]) ** 2, minlength=n_w) / (n - 1)
        rho_f = np.bincount(wk, weights=w_f, minlength=n_w) / n
        rho_h = np.bincount(wk, weights=d + w_f, minlength=n_w) / n
        t_stat = (mean_d - epsilon) / np.sqrt(var / n)
    p = student_t.cdf(t_stat, np.maximum(n - 1, 1))
    constant = var == 0  # scipy's convention: -inf -> 0, +inf -> 1, 0/0 -> NaN
    p = np.where(constant & (mean_d < epsilon), 0.0, p)
    p = np.where(constant & (mean_d > epsilon), 1.0, p)
    p = np.where(constant & (mean_d == epsilon), np.nan, p)
    p_t = p[tested]
    wins = benjamini_yekutieli(p_t, q)
    omega = float(wins.mean())
    return AltTestResult(
        omega,
        float(rho_f[tested].mean()),
        omega >= 0.5,
        int(wins.sum()),
        epsilon,
        q,
        tested.astype(np.int64),
        n[tested].astype(np.int64),
        rho_f[tested],
        rho_h[tested],
        p_t,
        wins,
    )


@dataclass(frozen=True, slots=True)
class JudgeCalibration:
    agreement: Result  # share of items where the judge equals the consensus
    kappa: Result  # Cohen's kappa against the consensus
    confusion: IntArray  # (n_classes, n_classes): rows = judge, columns = consensus
    expert_ceiling: float | None  # median expert-pair kappa (None: no pair shares enough)
    n_expert_pairs: int
    alt_test: AltTestResult | NotEnoughData
    usable: bool
    reasons: tuple[str, ...]  # why not usable (empty when usable)

    def verdict(self, judge: str, criterion: str) -> str:
        """One plain sentence, e.g. "judge X on 'factuality': kappa=0.81 [0.76, 0.86] ..."."""
        parts = []
        if isinstance(self.kappa, Estimate):
            k = self.kappa
            parts.append(f"κ={k.value:.2f} [{k.ci_low:.2f}, {k.ci_high:.2f}] against the consensus")
        else:
            parts.append(f"κ against the consensus: {self.kappa}")
        if self.expert_ceiling is None:
            parts.append("experts among themselves: no pair shares enough items")
        else:
            parts.append(f"experts among themselves {self.expert_ceiling:.2f}")
        at = self.alt_test
        if isinstance(at, AltTestResult):
            verb = "passes" if at.passed else "fails"
            parts.append(f"{verb} the test for {at.n_wins} of {at.n_experts} experts")
        else:
            parts.append(f"alternative annotator test: {at}")
        tail = "usable" if self.usable else f"not usable ({'; '.join(self.reasons)})"
        return f"judge {judge} on '{criterion}': {'; '.join(parts)}: {tail}"


def judge_calibration(
    items: ArrayLike,
    workers: ArrayLike,
    labels: ArrayLike,
    judge_items: ArrayLike,
    judge_labels: ArrayLike,
    n_classes: int,
    *,
    n_workers: int | None = None,
    consensus: ArrayLike | None = None,
    min_experts_for_consensus: int = 2,
    weights: KappaWeights = None,
    min_items: int = MIN_ITEMS_JUDGE,
    min_shared: int = MIN_SHARED_ITEMS_PAIR,
    scoring: Literal["accuracy", "neg_rmse"] = "accuracy",
    values: ArrayLike | None = None,
    epsilon: float = 0.2,
    q: float = 0.05,
    min_experts_per_item: int = 3,
    min_items_per_expert: int = 30,
    n_boot: int = DEFAULT_N_BOOT,
    seed: Seed = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> JudgeCalibration:
    """Calibrate one judge on one criterion against the experts.

    The consensus is the experts' strict majority answer on items with at least
    ``min_experts_for_consensus`` answers (tied items are left out), unless ``consensus``
    (one code per item, -1 for none; e.g. Dawid–Skene labels) is given. The judge is usable
    only if it passes the alt-test AND the lower bound of its kappa against the consensus is
    at least the median expert-pair kappa.
    """
    it = int_codes(items, "items")
    wk = int_codes(workers, "workers", n_workers)
    lab = int_codes(labels, "labels", n_classes)
    same_length(items=it, workers=wk, labels=lab)
    ji = int_codes(judge_items, "judge_items")
    jl = int_codes(judge_labels, "judge_labels", n_classes)
    same_length(judge_items=ji, judge_labels=jl)
    k = n_classes
    n_i = max(n_codes(it, None), n_codes(ji, None))
    if consensus is None:
        counts = value_counts(it, lab, k, n_i)
        top = counts.max(axis=1)
        unique_top = (counts == top[:, None]).sum(axis=1) == 1
        ok = unique_top & (counts.sum(axis=1) >= min_experts_for_consensus)
        cons = np.where(ok, counts.argmax(axis=1), -1)
    else:
        cons = np.asarray(consensus, dtype=np.int64)
        if cons.shape[0] < n_i:
            cons = np.r_[cons, np.full(n_i - cons.shape[0], -1)]
    has = cons[ji] >= 0
    table = np.bincount(jl[has] * k + cons[ji[has]], minlength=k * k).astype(float)[None, :]
    rng = rng_from(seed)
    w = disagreement_weights(k, weights)
    results: list[Result] = []
    for stat, name in ((lambda t: agreement_from_tables(t, k), "agreement"),
                       (lambda t: kappa_from_tables(t, w), "kappa")):  # fmt: skip
        value, low, high, n, enough = table_estimates(
            table, stat, required=min_items, n_boot=n_boot, rng=rng, confidence=confidence
        )
        if enough[0]:
            results.append(Estimate(float(value[0]), float(low[0]), float(high[0]), int(n[0])))
        else:
            why = "too few items with a consensus and a verdict"
            if n[0] >= min_items:
                why = f"{name} undefined (one class only)"
            results.append(NotEnoughData(why, int(n[0]), min_items))
    agreement, kappa = results
    pairs = pairwise_cohen_kappa(
        it, wk, lab, k, n_workers=n_workers, weights=weights, min_shared=min_shared, n_boot=0
    )
    ceiling = pairs.median()
    alt = alternative_annotator_test(
        it,
        wk,
        lab,
        ji,
        jl,
        n_classes=k,
        n_workers=n_workers,
        scoring=scoring,
        values=values,
        epsilon=epsilon,
        q=q,
        min_experts_per_item=min_experts_per_item,
        min_items_per_expert=min_items_per_expert,
    )
    reasons = []
    if not isinstance(alt, AltTestResult):
        reasons.append("not enough data for the alternative annotator test")
    elif not alt.passed:
        reasons.append(f"fails the alternative annotator test ({alt.n_wins} of {alt.n_experts})")
    if not isinstance(kappa, Estimate):
        reasons.append("not enough data for κ against the consensus")
    elif ceiling is None:
        reasons.append("no expert pair shares enough items for a ceiling")
    elif kappa.ci_low < ceiling:
        reasons.append(f"κ lower bound {kappa.ci_low:.2f} is below the experts' {ceiling:.2f}")
    return JudgeCalibration(
        agreement,
        kappa,
        table.reshape(k, k).astype(np.int64),
        ceiling,
        int(pairs.kappa.enough.sum()),
        alt,
        not reasons,
        tuple(reasons),
    )


@dataclass(frozen=True, slots=True)
class SwapConsistency:
    """Verdicts on the same pairs shown in both orders (codes: 0 first, 1 second, 2 tie)."""

    n_pairs: int
    consistency: Result  # same underlying choice after the swap (Wilson interval)
    same_position: Result  # picked the same *position* both times (position-bias rate)
    first_share: float  # among same-position pairs: share that picked the first position
    p_value: float  # two-sided binomial test of first_share against 1/2
    biased: bool
    direction: Literal["first", "second"] | None


def swap_consistency(
    original: ArrayLike,
    swapped: ArrayLike,
    *,
    alpha: float = 0.05,
    min_pairs: int = MIN_SHARED_ITEMS_PAIR,
    confidence: float = DEFAULT_CONFIDENCE,
) -> SwapConsistency:
    """Position bias of a judge from pairs judged in both display orders.

    Consistent pairs pick the same response (0 then 1, 1 then 0, or tie twice). A judge that
    picks the same position twice is inconsistent; noise does that equally often for either
    position, a position bias does it mostly for one. So the test is whether first-first
    outnumbers second-second (or vice versa) beyond chance: two-sided binomial at 1/2.
    """
    a = np.asarray(original)
    b = np.asarray(swapped)
    if a.shape != b.shape:
        raise ValueError("original and swapped differ in length")
    n = int(a.shape[0])
    consistent = ((a == 0) & (b == 1)) | ((a == 1) & (b == 0)) | ((a == 2) & (b == 2))
    ff = int(((a == 0) & (b == 0)).sum())
    ss = int(((a == 1) & (b == 1)).sum())
    same = ff + ss

    def share(k: int) -> Result:
        if n < min_pairs:
            return NotEnoughData("too few swapped pairs", n, min_pairs)
        low, high = wilson_interval(k, n, confidence)
        return Estimate(k / n, float(low), float(high), n)

    if same:
        p_value = float(min(1.0, 2.0 * min(binom.cdf(ff, same, 0.5), binom.sf(ff - 1, same, 0.5))))
        first = ff / same
    else:
        p_value, first = 1.0, float("nan")
    biased = n >= min_pairs and same > 0 and p_value < alpha
    direction: Literal["first", "second"] | None = None
    if biased:
        direction = "first" if ff > ss else "second"
    return SwapConsistency(
        n, share(int(consistent.sum())), share(same), first, p_value, biased, direction
    )
