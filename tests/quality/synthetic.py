"""Seeded synthetic annotation data with known truth, for the statistics tests.

Every generator is vectorized (no Python loop over annotations) so the same code can build
the 1M-annotation benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Annotations:
    items: np.ndarray
    workers: np.ndarray
    labels: np.ndarray
    truth: np.ndarray  # true class per item
    confusion: np.ndarray  # (workers, true, answered) planted answer probabilities
    n_items: int
    n_workers: int
    n_classes: int


def assign(rng: np.random.Generator, n_items: int, n_workers: int, overlap: int):
    """Each item gets ``overlap`` distinct experts, uniformly at random."""
    if overlap > n_workers:
        raise ValueError("overlap exceeds the number of workers")
    if overlap * overlap > n_workers:  # many duplicates expected: pick by random permutation
        chosen = np.zeros((n_items, overlap), dtype=np.int64)
        for start in range(0, n_items, 2000):  # blocks bound the (block x workers) matrix
            keys = rng.random((min(2000, n_items - start), n_workers))
            chosen[start : start + 2000] = np.argpartition(keys, overlap - 1, axis=1)[:, :overlap]
    else:  # draw with replacement, redraw the few rows with a repeated expert
        chosen = rng.integers(0, n_workers, size=(n_items, overlap))
        while True:
            s = np.sort(chosen, axis=1)
            dup = (s[:, 1:] == s[:, :-1]).any(axis=1)
            if not dup.any():
                break
            chosen[dup] = rng.integers(0, n_workers, size=(int(dup.sum()), overlap))
    items = np.repeat(np.arange(n_items), overlap)
    return items, chosen.ravel()


def symmetric_confusion(accuracy: float, n_classes: int) -> np.ndarray:
    """Right with probability ``accuracy``, otherwise uniform over the wrong classes."""
    off = (1.0 - accuracy) / (n_classes - 1)
    return np.full((n_classes, n_classes), off) + np.eye(n_classes) * (accuracy - off)


def constant_confusion(label: int, n_classes: int) -> np.ndarray:
    """Always answers ``label`` whatever the truth (a straight-liner / spammer)."""
    m = np.zeros((n_classes, n_classes))
    m[:, label] = 1.0
    return m


def sample_answers(rng, confusion, workers, truth_of_annotation):
    cum = np.cumsum(confusion[workers, truth_of_annotation], axis=1)
    u = rng.random(workers.shape[0])[:, None]
    return np.minimum((u > cum).sum(axis=1), confusion.shape[2] - 1)


def classification(
    *,
    n_items: int = 1000,
    n_classes: int = 3,
    overlap: int = 3,
    confusion: np.ndarray,
    class_probs: np.ndarray | None = None,
    seed: int = 0,
) -> Annotations:
    """Items with a true class; experts answer through their planted confusion matrix."""
    rng = np.random.default_rng(seed)
    n_workers = confusion.shape[0]
    p = np.full(n_classes, 1.0 / n_classes) if class_probs is None else class_probs
    truth = rng.choice(n_classes, size=n_items, p=p)
    items, workers = assign(rng, n_items, n_workers, overlap)
    labels = sample_answers(rng, confusion, workers, truth[items])
    return Annotations(items, workers, labels, truth, confusion, n_items, n_workers, n_classes)


def mixed_experts(n_good: int, n_bad: int, n_classes: int, seed: int = 0) -> np.ndarray:
    """Good experts (accuracy 0.7-0.9) plus bad ones: spammers that always answer the same
    class and experts who answer at random."""
    rng = np.random.default_rng(seed)
    good = [symmetric_confusion(a, n_classes) for a in rng.uniform(0.7, 0.9, n_good)]
    bad = [
        constant_confusion(0, n_classes)
        if i % 2 == 0
        else symmetric_confusion(1 / n_classes, n_classes)
        for i in range(n_bad)
    ]
    return np.stack(good + bad)


def pairwise_comparisons(strengths: np.ndarray, n_comparisons: int, seed: int = 0):
    """Random pairs; the first beats the second with the Bradley–Terry probability."""
    rng = np.random.default_rng(seed)
    n = strengths.shape[0]
    i = rng.integers(0, n, n_comparisons)
    j = (i + rng.integers(1, n, n_comparisons)) % n
    p = 1.0 / (1.0 + np.exp(strengths[j] - strengths[i]))
    i_wins = rng.random(n_comparisons) < p
    return np.where(i_wins, i, j), np.where(i_wins, j, i)


def reliability_matrix(
    n_raters: int, n_units: int, n_values: int, p_missing: float, noise: float, seed: int = 0
) -> np.ndarray:
    """raters x units matrix of values 1..n_values (NaN = missing), raters noisy around a truth."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, n_values + 1, n_units)
    shift = rng.integers(-1, 2, size=(n_raters, n_units)) * (
        rng.random((n_raters, n_units)) < noise
    )
    data = np.clip(truth[None, :] + shift, 1, n_values).astype(float)
    data[rng.random((n_raters, n_units)) < p_missing] = np.nan
    return data


def counts_from_reliability(data: np.ndarray, domain: np.ndarray) -> np.ndarray:
    return np.stack([(data == v).sum(axis=0) for v in domain], axis=1)
