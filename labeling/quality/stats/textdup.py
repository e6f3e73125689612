"""Near-duplicate free text across experts (copy-paste between accounts, shared templates).

MinHash over character shingles with LSH banding, all in numpy: texts are normalised
(lower-case, whitespace collapsed), cut into ``shingle``-character windows, each window hashed
with a rolling polynomial hash, and each text gets an ``n_perm``-value one-permutation MinHash
signature (see :func:`minhash_signatures`). Texts whose signatures collide in any band become
candidate pairs; a pair is kept when the signature agreement (an estimate of the Jaccard
similarity of the shingle sets) is at least ``threshold``. Kept pairs are joined into
clusters; a cluster that spans two or more experts is evidence, and an expert with
``min_duplicates`` or more texts in such clusters is flagged. Short texts (``min_chars``) are
skipped: "Looks good." is not evidence of anything. Cost: one pass over the characters, plus
a per-string normalisation (the only Python-level loop, over texts, not annotations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.csgraph import connected_components

from ._common import IntArray, int_codes, ragged_arange
from .anomalies import Flag

_U64 = np.uint64


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the bits of a uint64 array."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


@dataclass(frozen=True, slots=True)
class DuplicateCluster:
    texts: tuple[int, ...]  # indices into the input texts
    workers: tuple[int, ...]  # distinct experts who wrote them


@dataclass(frozen=True, slots=True)
class NearDuplicates:
    flags: list[Flag]
    clusters: list[DuplicateCluster]  # only clusters spanning two or more experts


def minhash_signatures(
    texts: Sequence[str], *, shingle: int = 5, n_perm: int = 64, seed: int = 0
) -> np.ndarray:
    """(len(texts), n_perm) uint64 MinHash signatures of normalised texts (>= shingle chars).

    One-permutation hashing (Li, Owen & Zhang 2012): each shingle is hashed once; the top
    log2(n_perm) bits pick a bin and the text's signature holds the minimum of the remaining
    bits per bin. Empty bins borrow from the next non-empty bin to the right, shifted by the
    distance (rotation densification, Shrivastava & Li 2014), so signatures of two texts agree
    in each position with probability about their Jaccard similarity. One pass over the
    shingles instead of one per permutation.
    """
    if n_perm < 2 or n_perm & (n_perm - 1):
        raise ValueError("n_perm must be a power of two >= 2")
    norm = [" ".join(t.lower().split()) for t in texts]
    return _signatures(norm, shingle=shingle, n_perm=n_perm, seed=seed)


def _signatures(norm: Sequence[str], *, shingle: int, n_perm: int, seed: int) -> np.ndarray:
    lengths = np.fromiter((len(t) for t in norm), dtype=np.int64, count=len(norm))
    if np.any(lengths < shingle):
        raise ValueError(f"every text needs at least {shingle} characters after normalisation")
    empty = np.iinfo(np.uint64).max
    sig = np.full((len(norm), n_perm), empty, dtype=_U64)
    if not norm:
        return sig
    raw = "".join(norm).encode("utf-32-le", "surrogatepass")
    code = np.frombuffer(raw, dtype=np.uint32).astype(_U64)
    width = code.shape[0] - shingle + 1
    h = np.zeros(width, dtype=_U64)
    for j in range(shingle):
        h = h * _U64(1_000_003) + code[j : j + width]
    n_sh = lengths - shingle + 1
    offsets = np.cumsum(lengths) - lengths
    salt = _mix(np.array([seed], dtype=_U64))[0]
    h = _mix(h[np.repeat(offsets, n_sh) + ragged_arange(n_sh)] ^ salt)
    bits = n_perm.bit_length() - 1
    bins = (h >> _U64(64 - bits)).astype(np.int64)
    values = h & _U64((1 << (64 - bits)) - 1)
    text_of = np.repeat(np.arange(len(norm)), n_sh)
    np.minimum.at(sig, (text_of, bins), values)
    missing = sig == empty
    if missing.any():
        cols = np.arange(2 * n_perm)
        filled = np.where(np.tile(~missing, 2), cols, 4 * n_perm)
        nxt = np.minimum.accumulate(filled[:, ::-1], axis=1)[:, ::-1][:, :n_perm]
        rows = np.arange(len(norm))[:, None]
        dist = (nxt - cols[:n_perm]).astype(_U64)
        borrowed = _mix(sig[rows, nxt % n_perm] + dist * _U64(0x9E3779B97F4A7C15))
        sig = np.where(missing, borrowed, sig)
    return sig


def _candidate_pairs(sig: np.ndarray, bands: int) -> IntArray:
    n, n_perm = sig.shape
    rows = n_perm // bands
    edges = []
    for b in range(bands):
        key = np.zeros(n, dtype=_U64)
        for j in range(rows):
            key = _mix(key ^ sig[:, b * rows + j])
        order = np.argsort(key, kind="stable")
        sk = key[order]
        new_run = np.r_[True, sk[1:] != sk[:-1]]
        leader = order[np.flatnonzero(new_run)[np.cumsum(new_run) - 1]]
        member = leader != order
        edges.append(np.stack([leader[member], order[member]], axis=1))
    pairs = np.concatenate(edges) if edges else np.zeros((0, 2), dtype=np.int64)
    if pairs.size == 0:
        return pairs.astype(np.int64)
    key = np.unique(pairs.min(axis=1) * n + pairs.max(axis=1))
    return np.stack([key // n, key % n], axis=1)


def near_duplicate_text_flags(
    texts: Sequence[str],
    workers: ArrayLike,
    *,
    min_chars: int = 40,
    threshold: float = 0.8,
    shingle: int = 5,
    n_perm: int = 64,
    bands: int = 16,
    min_duplicates: int = 2,
    seed: int = 0,
) -> NearDuplicates:
    """Flag experts whose free-text answers nearly duplicate another expert's text."""
    wk = int_codes(workers, "workers")
    if wk.shape[0] != len(texts):
        raise ValueError("texts and workers differ in length")
    if n_perm % bands:
        raise ValueError("n_perm must be a multiple of bands")
    lengths = np.fromiter((len(" ".join(t.split())) for t in texts), np.int64, len(texts))
    keep = np.flatnonzero(lengths >= max(min_chars, shingle))
    if keep.size < 2:
        return NearDuplicates([], [])
    sig = minhash_signatures(
        [texts[int(i)] for i in keep], shingle=shingle, n_perm=n_perm, seed=seed
    )
    pairs = _candidate_pairs(sig, bands)
    if pairs.shape[0]:
        agree = np.zeros(pairs.shape[0])
        for c in range(0, n_perm, 8):  # column blocks keep the temporaries small
            agree += (sig[pairs[:, 0], c : c + 8] == sig[pairs[:, 1], c : c + 8]).sum(axis=1)
        pairs = pairs[agree >= threshold * n_perm]
    n = keep.shape[0]
    graph = sp.csr_matrix((np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    kw = wk[keep]
    n_comp = int(comp.max()) + 1
    # Distinct experts per cluster: count distinct (cluster, expert) pairs.
    uniq_cw = np.unique(comp * (int(kw.max()) + 1) + kw)
    spread = np.bincount(uniq_cw // (int(kw.max()) + 1), minlength=n_comp)
    cross = spread[comp] >= 2
    clusters = []
    partners: dict[int, set[int]] = {}
    examples: dict[int, list[int]] = {}
    for c in np.unique(comp[cross]):
        members = np.flatnonzero(comp == c)
        ws = tuple(sorted({int(w) for w in kw[members]}))
        clusters.append(DuplicateCluster(tuple(int(keep[m]) for m in members), ws))
        for m in members:
            w = int(kw[m])
            partners.setdefault(w, set()).update(x for x in ws if x != w)
            examples.setdefault(w, []).append(int(keep[m]))
    n_long = np.bincount(kw, minlength=int(wk.max()) + 1)
    n_dup = np.bincount(kw[cross], minlength=int(wk.max()) + 1)
    flags = [
        Flag(
            "near_duplicate_text",
            w,
            f"{n_dup[w]} of {n_long[w]} free-text answers nearly duplicate text written by "
            f"expert(s) {', '.join(str(p) for p in sorted(partners[w]))}",
            {
                "n_duplicates": int(n_dup[w]),
                "n_texts": int(n_long[w]),
                "share": float(n_dup[w] / n_long[w]),
                "partners": tuple(sorted(partners[w])),
                "examples": tuple(examples[w][:5]),
                "threshold": threshold,
            },
        )
        for w in (int(x) for x in np.flatnonzero(n_dup >= min_duplicates))
    ]
    return NearDuplicates(flags, clusters)
