"""Pure statistics for quality analytics (no Django): agreement, aggregation, gold, anomalies,
LLM-judge calibration.

Inputs are integer-coded numpy arrays, one entry per annotation (item, expert, answer codes
``0 .. n-1``); outputs are small frozen dataclasses. Any estimate that too few items support
is a :class:`NotEnoughData` marker with the reason, never a number. See
docs/quality-statistics.md for definitions, references and thresholds.
"""

from ._common import (
    DEFAULT_CONFIDENCE,
    DEFAULT_N_BOOT,
    MIN_GOLD_ITEMS,
    MIN_ITEMS_AGREEMENT,
    MIN_ITEMS_EXPERT,
    MIN_ITEMS_JUDGE,
    MIN_SHARED_ITEMS_PAIR,
    Estimate,
    EstimateTable,
    NotEnoughData,
    Result,
    group_median,
)
from .aggregation import (
    BradleyTerryResult,
    DawidSkeneResult,
    MajorityVoteResult,
    RubricSummary,
    bradley_terry,
    dawid_skene,
    majority_vote,
    rubric_summary,
)
from .agreement import (
    alpha_value,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    measurement_level,
    percent_agreement,
    value_counts,
)
from .anomalies import (
    Flag,
    fast_submissions,
    gold_drop_flags,
    position_bias_flags,
    speeder_flags,
    straight_lining_flags,
)
from .gold import (
    GoldAccuracy,
    MissedGold,
    gold_accuracy,
    most_missed_gold,
    prob_below,
    wilson_interval,
)
from .judge import (
    AltTestResult,
    JudgeCalibration,
    SwapConsistency,
    alternative_annotator_test,
    benjamini_yekutieli,
    judge_calibration,
    swap_consistency,
)
from .pairwise import ExpertAgreement, PairwiseKappa, expert_agreement, pairwise_cohen_kappa
from .textdup import DuplicateCluster, NearDuplicates, minhash_signatures, near_duplicate_text_flags

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_N_BOOT",
    "MIN_GOLD_ITEMS",
    "MIN_ITEMS_AGREEMENT",
    "MIN_ITEMS_EXPERT",
    "MIN_ITEMS_JUDGE",
    "MIN_SHARED_ITEMS_PAIR",
    "AltTestResult",
    "BradleyTerryResult",
    "DawidSkeneResult",
    "DuplicateCluster",
    "Estimate",
    "EstimateTable",
    "ExpertAgreement",
    "Flag",
    "GoldAccuracy",
    "JudgeCalibration",
    "MajorityVoteResult",
    "MissedGold",
    "NearDuplicates",
    "NotEnoughData",
    "PairwiseKappa",
    "Result",
    "RubricSummary",
    "SwapConsistency",
    "alpha_value",
    "alternative_annotator_test",
    "benjamini_yekutieli",
    "bradley_terry",
    "cohen_kappa",
    "dawid_skene",
    "expert_agreement",
    "fast_submissions",
    "fleiss_kappa",
    "gold_accuracy",
    "gold_drop_flags",
    "group_median",
    "judge_calibration",
    "krippendorff_alpha",
    "majority_vote",
    "measurement_level",
    "minhash_signatures",
    "most_missed_gold",
    "near_duplicate_text_flags",
    "pairwise_cohen_kappa",
    "percent_agreement",
    "position_bias_flags",
    "prob_below",
    "rubric_summary",
    "speeder_flags",
    "straight_lining_flags",
    "swap_consistency",
    "value_counts",
    "wilson_interval",
]
