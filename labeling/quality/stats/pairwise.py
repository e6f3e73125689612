"""Agreement between experts: Cohen's kappa for every expert pair, and each expert against the
consensus of the others. Vectorized over annotations (one sparse product, bincounts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from ._common import (
    DEFAULT_CONFIDENCE,
    DEFAULT_N_BOOT,
    MIN_ITEMS_EXPERT,
    MIN_SHARED_ITEMS_PAIR,
    EstimateTable,
    FloatArray,
    IntArray,
    KappaWeights,
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
    kappa_standard_error,
    table_estimates,
    table_estimates_many,
)
from .agreement import value_counts

BOOTSTRAP_CELL_BUDGET = 50_000_000


@dataclass(frozen=True, slots=True)
class PairwiseKappa:
    """Cohen's kappa for every expert pair sharing at least ``min_shared`` items."""

    worker_a: IntArray
    worker_b: IntArray
    kappa: EstimateTable  # keys are positions in worker_a / worker_b
    n_pairs_considered: int  # pairs sharing at least one item
    ci_method: Literal["bootstrap", "analytic"]

    def median(self) -> float | None:
        """Median kappa over qualifying pairs (the experts' ceiling), None if there are none."""
        vals = self.kappa.value[self.kappa.enough]
        return float(np.median(vals)) if vals.size else None


def pairwise_cohen_kappa(
    items: ArrayLike,
    workers: ArrayLike,
    labels: ArrayLike,
    n_classes: int,
    *,
    n_workers: int | None = None,
    weights: KappaWeights = None,
    min_shared: int = MIN_SHARED_ITEMS_PAIR,
    n_boot: int = DEFAULT_N_BOOT,
    seed: Seed = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    ci: Literal["auto", "bootstrap", "analytic"] = "auto",
) -> PairwiseKappa:
    """Cohen's kappa per expert pair, from one sparse product (no loop over pairs or items).

    With A the items x (worker, label) indicator matrix, G = A^T A holds every pair's
    contingency table: G[(a, l1), (b, l2)] = items where a said l1 and b said l2.

    Intervals: percentile bootstrap per pair, or the large-sample (Fleiss–Cohen–Everitt)
    normal interval. ``"auto"`` bootstraps unless that would draw more than
    ``BOOTSTRAP_CELL_BUDGET`` multinomial cells (n_boot x pairs x classes^2) — with hundreds
    of experts all sharing gold items there can be 100k+ qualifying pairs.
    """
    it = int_codes(items, "items")
    wk = int_codes(workers, "workers", n_workers)
    lab = int_codes(labels, "labels", n_classes)
    same_length(items=it, workers=wk, labels=lab)
    k = n_classes
    n_w = n_codes(wk, n_workers)
    a = sp.csr_matrix(
        (np.ones(it.shape[0]), (it, wk * k + lab)), shape=(n_codes(it, None), n_w * k)
    )
    g = (a.T @ a).tocoo()
    row, col, val = g.row.astype(np.int64), g.col.astype(np.int64), g.data
    wa, wb = row // k, col // k
    keep = wa < wb
    wa, wb, val = wa[keep], wb[keep], val[keep]
    cell = (row[keep] % k) * k + col[keep] % k
    pair_key = wa * n_w + wb
    if n_w * n_w * k * k <= 50_000_000:  # dense accumulation: no sort needed
        dense = np.bincount(pair_key * (k * k) + cell, weights=val, minlength=n_w * n_w * k * k)
        dense = dense.reshape(n_w * n_w, k * k)
        uniq = np.flatnonzero(dense.any(axis=1))
        tables = dense[uniq]
    else:
        uniq, pair_idx = np.unique(pair_key, return_inverse=True)
        tables = np.bincount(
            pair_idx.ravel() * (k * k) + cell, weights=val, minlength=uniq.shape[0] * k * k
        ).reshape(uniq.shape[0], k * k)
    n_pairs = uniq.shape[0]
    sel = tables.sum(axis=1) >= min_shared
    w = disagreement_weights(k, weights)
    if ci == "auto":
        budget_ok = n_boot * int(sel.sum()) * k * k <= BOOTSTRAP_CELL_BUDGET
        ci = "bootstrap" if budget_ok else "analytic"
    value, low, high, n, enough = table_estimates(
        tables[sel],
        lambda t: kappa_from_tables(t, w),
        required=min_shared,
        n_boot=n_boot,
        rng=rng_from(seed),
        confidence=confidence,
        standard_error=(lambda t: kappa_standard_error(t, w)) if ci == "analytic" else None,
    )
    table = EstimateTable(
        np.arange(int(sel.sum()), dtype=np.int64), value, low, high, n, enough, min_shared, "kappa"
    )
    return PairwiseKappa(uniq[sel] // n_w, uniq[sel] % n_w, table, int(n_pairs), ci)


@dataclass(frozen=True, slots=True)
class ExpertAgreement:
    """Each expert against the consensus of the others, on the items they share.

    The others' consensus on an item is the majority answer of the *other* experts (ties
    broken at random, seeded). ``agreement`` is the share of the expert's items where their
    answer equals it; ``kappa`` is Cohen's kappa of the two.
    """

    agreement: EstimateTable
    kappa: EstimateTable


def expert_agreement(
    items: ArrayLike,
    workers: ArrayLike,
    labels: ArrayLike,
    n_classes: int,
    *,
    n_workers: int | None = None,
    weights: KappaWeights = None,
    min_items: int = MIN_ITEMS_EXPERT,
    n_boot: int = DEFAULT_N_BOOT,
    seed: Seed = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> ExpertAgreement:
    """Per-expert agreement with the consensus of the others (leave-one-out), all experts at
    once: one (expert answer x others' consensus) table per expert, bootstrapped by
    multinomial resampling of its cells."""
    it = int_codes(items, "items")
    wk = int_codes(workers, "workers", n_workers)
    lab = int_codes(labels, "labels", n_classes)
    same_length(items=it, workers=wk, labels=lab)
    k = n_classes
    n_w = n_codes(wk, n_workers)
    rng = rng_from(seed)
    others = value_counts(it, lab, k)[it]
    others[np.arange(it.shape[0]), lab] -= 1
    ok = others.sum(axis=1) >= 1
    wk, lab, others = wk[ok], lab[ok], others[ok]
    top = others == others.max(axis=1, keepdims=True)
    consensus = (top * (1.0 + rng.random(others.shape))).argmax(axis=1)
    counts = np.bincount((wk * k + lab) * k + consensus, minlength=n_w * k * k)
    tables: FloatArray = counts.reshape(n_w, k * k).astype(np.float64)
    keys = np.arange(n_w, dtype=np.int64)
    w = disagreement_weights(k, weights)
    agreement, kappa = table_estimates_many(
        tables,
        [lambda t: agreement_from_tables(t, k), lambda t: kappa_from_tables(t, w)],
        required=min_items,
        n_boot=n_boot,
        rng=rng,
        confidence=confidence,
    )
    return ExpertAgreement(
        EstimateTable(keys, *agreement, required=min_items, statistic="agreement with the others"),
        EstimateTable(keys, *kappa, required=min_items, statistic="kappa against the others"),
    )
