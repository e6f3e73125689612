"""Agreement statistics against oracles (krippendorff, statsmodels, scikit-learn) and by hand."""

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from labeling.quality.stats import (
    Estimate,
    NotEnoughData,
    alpha_value,
    cohen_kappa,
    expert_agreement,
    fleiss_kappa,
    krippendorff_alpha,
    measurement_level,
    pairwise_cohen_kappa,
    percent_agreement,
    value_counts,
)
from labeling.quality.stats._tables import disagreement_weights, kappa_standard_error
from tests.quality.synthetic import (
    classification,
    counts_from_reliability,
    mixed_experts,
    reliability_matrix,
    symmetric_confusion,
)

LEVELS = ["nominal", "ordinal", "interval", "ratio"]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
# 12 units, values 1-5, "*" missing. Published: nominal .743, ordinal .815, interval .849,
# ratio .797.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
)

# Fleiss (1971) as reproduced on Wikipedia: 10 subjects, 14 raters, 5 categories, kappa 0.210.
FLEISS_1971 = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_equals_krippendorff_package(level, seed):
    data = reliability_matrix(6, 300, 5, p_missing=0.4, noise=0.5, seed=seed)
    domain = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    counts = counts_from_reliability(data, domain)
    ours = krippendorff_alpha(counts, level, values=domain, n_boot=200)
    theirs = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert isinstance(ours, Estimate)
    assert ours.value == pytest.approx(theirs, abs=1e-9)
    assert ours.ci_low <= ours.value <= ours.ci_high
    assert ours.n_items == int((counts.sum(axis=1) >= 2).sum())


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_with_uneven_value_domain_equals_package(level):
    rng = np.random.default_rng(5)
    counts = rng.multinomial(4, [0.4, 0.3, 0.1, 0.1, 0.1], size=200)
    counts[:15] = 0  # unrated units
    counts[15:30] = np.eye(5, dtype=int)[rng.integers(0, 5, 15)]  # single ratings
    domain = np.array([1.0, 2.0, 3.0, 5.0, 8.0])
    theirs = krippendorff.alpha(
        value_counts=counts, value_domain=domain, level_of_measurement=level
    )
    assert alpha_value(counts, level, values=domain) == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_published_example(level, published):
    counts = counts_from_reliability(KRIPPENDORFF_2011, np.arange(1, 6))
    value = alpha_value(counts, level, values=np.arange(1.0, 6.0))
    assert round(value, 3) == published


def test_alpha_hand_computed_binary_example():
    # Two coders, ten units (Krippendorff 2011, section A). Coincidences: o00=10, o01=o10=4,
    # o11=2; n0=14, n1=6, n=20. alpha = 1 - (n-1) * (o01+o10) / (2 n0 n1) = 1 - 152/168.
    a = np.array([0, 1, 0, 0, 0, 0, 0, 0, 1, 0])
    b = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0])
    counts = value_counts(np.r_[np.arange(10), np.arange(10)], np.r_[a, b], 2)
    assert alpha_value(counts, "nominal") == pytest.approx(1 - 152 / 168, abs=1e-12)
    assert krippendorff_alpha(counts, "nominal").value == pytest.approx(2 / 21, abs=1e-12)


def test_alpha_not_enough_data():
    counts = np.array([[2, 0], [1, 1], [1, 0], [0, 0]])
    result = krippendorff_alpha(counts, min_items=10)
    assert isinstance(result, NotEnoughData)
    assert (result.n_items, result.required) == (2, 10)
    assert not result.enough
    same = np.tile([3, 0], (20, 1))
    undefined = krippendorff_alpha(same)
    assert isinstance(undefined, NotEnoughData)
    assert "same value" in undefined.reason


def test_type_bootstrap_matches_naive_item_resampling():
    # The multinomial-over-item-types bootstrap must have the same sampling distribution as
    # plain resampling of items.
    data = reliability_matrix(3, 400, 4, p_missing=0.1, noise=0.5, seed=3)
    counts = counts_from_reliability(data, np.arange(1, 5))
    counts = counts[counts.sum(axis=1) >= 2]
    fast = krippendorff_alpha(counts, "ordinal", n_boot=2000, seed=1)
    rng = np.random.default_rng(2)
    naive = [
        alpha_value(counts[rng.integers(0, len(counts), len(counts))], "ordinal")
        for _ in range(600)
    ]
    lo, hi = np.percentile(naive, [2.5, 97.5])
    assert fast.ci_low == pytest.approx(lo, abs=0.02)
    assert fast.ci_high == pytest.approx(hi, abs=0.02)
    again = krippendorff_alpha(counts, "ordinal", n_boot=2000, seed=1)
    assert again == fast  # seeded: reproducible


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fleiss_equals_statsmodels(seed):
    rng = np.random.default_rng(seed)
    table = rng.multinomial(5, rng.dirichlet(np.ones(4)), size=150)
    ours = fleiss_kappa(table)
    assert ours.value == pytest.approx(sm_fleiss_kappa(table, method="fleiss"), abs=1e-9)
    assert ours.ci_low < ours.value < ours.ci_high


def test_fleiss_uses_items_with_the_fixed_overlap_only():
    rng = np.random.default_rng(7)
    fixed = rng.multinomial(3, [0.5, 0.3, 0.2], size=100)
    gold = rng.multinomial(12, [0.6, 0.2, 0.2], size=10)  # gold items: larger overlap
    ours = fleiss_kappa(np.vstack([fixed, gold]))
    assert ours.n_items == 100
    assert ours.value == pytest.approx(sm_fleiss_kappa(fixed), abs=1e-9)


def test_fleiss_published_example():
    result = fleiss_kappa(FLEISS_1971)
    assert round(result.value, 3) == 0.210
    assert result.value == pytest.approx(sm_fleiss_kappa(FLEISS_1971), abs=1e-12)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_equals_sklearn_and_statsmodels(weights):
    rng = np.random.default_rng(11)
    a = rng.integers(0, 4, 300)
    b = np.where(rng.random(300) < 0.6, a, rng.integers(0, 4, 300))
    ours = cohen_kappa(a, b, 4, weights=weights)
    assert ours.value == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=1e-9)
    table = np.bincount(a * 4 + b, minlength=16).reshape(4, 4)
    sm_wt = {None: None, "linear": "linear", "quadratic": "quadratic"}[weights]
    assert ours.value == pytest.approx(sm_cohens_kappa(table, wt=sm_wt).kappa, abs=1e-9)
    assert ours.ci_low < ours.value < ours.ci_high


def test_cohen_not_enough_data_and_single_class():
    assert isinstance(cohen_kappa([0, 1, 1], [0, 1, 0], 2), NotEnoughData)
    one_class = cohen_kappa(np.zeros(50, int), np.zeros(50, int), 2)
    assert isinstance(one_class, NotEnoughData)
    assert "one class" in one_class.reason


def test_percent_agreement_by_hand():
    # Unit 1: both agree (1/1); unit 2: split (0/1); unit 3: three agree (3/3); unit 4 has one
    # rating and is ignored. Mean = 2/3.
    counts = np.array([[2, 0], [1, 1], [3, 0], [0, 1]])
    result = percent_agreement(counts, min_items=3)
    assert result.value == pytest.approx(2 / 3)
    assert result.n_items == 3


def test_pairwise_kappa_matches_per_pair_reference():
    data = classification(
        n_items=400,
        n_classes=3,
        overlap=4,
        confusion=np.stack([symmetric_confusion(a, 3) for a in [0.9, 0.8, 0.7, 0.6, 0.5, 0.9]]),
        seed=4,
    )
    pk = pairwise_cohen_kappa(data.items, data.workers, data.labels, 3, min_shared=20, n_boot=100)
    by_item = {}
    for i, w, lab in zip(data.items, data.workers, data.labels, strict=True):
        by_item.setdefault(int(i), {})[int(w)] = int(lab)
    expected = {}
    for a in range(data.n_workers):
        for b in range(a + 1, data.n_workers):
            shared = [d for d in by_item.values() if a in d and b in d]
            if len(shared) >= 20:
                la = [d[a] for d in shared]
                lb = [d[b] for d in shared]
                expected[(a, b)] = (cohen_kappa_score(la, lb, labels=[0, 1, 2]), len(shared))
    got = {
        (int(a), int(b)): (pk.kappa.value[k], pk.kappa.n_items[k])
        for k, (a, b) in enumerate(zip(pk.worker_a, pk.worker_b, strict=True))
    }
    assert set(got) == set(expected)
    for pair, (kappa, n) in expected.items():
        assert got[pair][0] == pytest.approx(kappa, abs=1e-9)
        assert got[pair][1] == n
    assert pk.median() == pytest.approx(np.median([v[0] for v in expected.values()]))


def test_expert_against_the_others():
    confusion = mixed_experts(n_good=8, n_bad=2, n_classes=3, seed=1)
    data = classification(n_items=1500, n_classes=3, overlap=3, confusion=confusion, seed=2)
    ea = expert_agreement(data.items, data.workers, data.labels, 3, n_boot=300)
    good = ea.kappa.value[:8]
    bad = ea.kappa.value[8:]
    assert good.min() > 0.2
    assert bad.max() < 0.1
    assert np.all(ea.kappa.ci_low <= ea.kappa.value) and np.all(ea.kappa.value <= ea.kappa.ci_high)
    assert np.all(ea.agreement.value[:8] > ea.agreement.value[8:].max())
    assert isinstance(ea.kappa.get(999), NotEnoughData)


def test_expert_against_the_others_matches_a_loop_reference():
    # Binary answers, four experts per item: the other three always have a strict majority.
    confusion = np.stack([symmetric_confusion(a, 2) for a in [0.95, 0.9, 0.8, 0.7, 0.6, 0.55]])
    data = classification(n_items=600, n_classes=2, overlap=4, confusion=confusion, seed=3)
    ea = expert_agreement(data.items, data.workers, data.labels, 2, n_boot=200)
    for w in range(data.n_workers):
        mine, consensus = [], []
        for i in np.unique(data.items[data.workers == w]):
            on_item = data.items == i
            mine.append(data.labels[on_item & (data.workers == w)][0])
            others = data.labels[on_item & (data.workers != w)]
            consensus.append(int(np.bincount(others, minlength=2).argmax()))
        assert ea.agreement.value[w] == pytest.approx(np.mean(np.equal(mine, consensus)))
        assert ea.kappa.value[w] == pytest.approx(cohen_kappa_score(mine, consensus), abs=1e-12)
        assert ea.kappa.get(w).n_items == len(mine)


def test_measurement_levels():
    assert measurement_level("choice") == "nominal"
    assert measurement_level("pairwise") == "nominal"
    assert measurement_level("scale") == "ordinal"
    assert measurement_level("rank") == "ordinal"
    assert measurement_level("numeric") == "interval"


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_analytic_kappa_standard_error_equals_statsmodels(weights):
    rng = np.random.default_rng(12)
    a = rng.integers(0, 4, 250)
    b = np.where(rng.random(250) < 0.5, a, rng.integers(0, 4, 250))
    table = np.bincount(a * 4 + b, minlength=16).reshape(4, 4)
    se = kappa_standard_error(table.reshape(1, 16).astype(float), disagreement_weights(4, weights))
    assert se[0] == pytest.approx(sm_cohens_kappa(table, wt=weights).std_kappa, rel=1e-9)


def test_pairwise_analytic_intervals_agree_with_bootstrap():
    confusion = np.stack([symmetric_confusion(a, 3) for a in [0.9, 0.85, 0.8, 0.75, 0.7]])
    data = classification(n_items=800, n_classes=3, overlap=4, confusion=confusion, seed=6)
    boot = pairwise_cohen_kappa(data.items, data.workers, data.labels, 3, ci="bootstrap")
    analytic = pairwise_cohen_kappa(data.items, data.workers, data.labels, 3, ci="analytic")
    assert boot.ci_method == "bootstrap" and analytic.ci_method == "analytic"
    np.testing.assert_allclose(analytic.kappa.value, boot.kappa.value)
    np.testing.assert_allclose(analytic.kappa.ci_low, boot.kappa.ci_low, atol=0.03)
    np.testing.assert_allclose(analytic.kappa.ci_high, boot.kappa.ci_high, atol=0.03)
    auto = pairwise_cohen_kappa(data.items, data.workers, data.labels, 3)
    assert auto.ci_method == "bootstrap"  # 10 pairs x 1000 replicates is within budget
