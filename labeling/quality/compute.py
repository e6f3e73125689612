"""Compute one quality snapshot from a project's coded arrays (labeling.quality.encode).

Pure orchestration: every statistic comes from labeling.quality.stats; this module only picks
the inputs, calls it, and turns the results into the JSON document pages and the API read.
No database access here (the services load and write).

Snapshot document (``QualitySnapshot.data``, version 1)::

    {"version": 1, "task_type": ..., "computed_at": iso, "n_boot": int,
     "totals": {...counts, median_active_seconds...},
     "criteria": [{"key", "label", "level", "classes", "n_annotations",
                   "alpha", "percent", "fleiss": Estimate|NotEnough,
                   "pairwise_kappa": {"median", "n_pairs", "n_pairs_considered"},
                   "timeline": [{"period", "alpha", "percent", "n_items"}],
                   "aggregation": {...}}],
     "experts": [{"id", "name", "n_annotations", "median_seconds", "agreement", "kappa",
                  "gold": Estimate|NotEnough, "gold_seen", "gold_correct", "flags": [kinds]}],
     "gold": {"coverage": {...}, "histogram": {...}, "most_missed": [...]},
     "ranking": [{"group", "entities": [{"name", "score", "ci_low", "ci_high", "wins", "n"}]}],
     "flags": {"new": n, "by_kind": {...}},
     "judges": [{"name", "source", "n_verdicts", "criteria": [{...calibration...}]}]}

An Estimate is {"value", "ci_low", "ci_high", "n_items"}; "not enough data" is
{"not_enough": reason, "n_items", "required"}.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from labeling.quality import stats
from labeling.quality.encode import CriterionSpec, ProjectData
from labeling.quality.stats._common import group_median  # median per expert (adapter)

TIMELINE_MIN_ITEMS = 5
MAX_RANKING_GROUPS = 12
MAX_ENTITIES = 60


def num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else round(x, 4)


def est(result) -> dict:
    """Estimate / NotEnoughData as JSON."""
    if isinstance(result, stats.Estimate):
        return {
            "value": num(result.value),
            "ci_low": num(result.ci_low),
            "ci_high": num(result.ci_high),
            "n_items": int(result.n_items),
        }
    return {
        "not_enough": result.reason,
        "n_items": int(result.n_items),
        "required": int(result.required),
    }


@dataclass
class JudgeInput:
    name: str
    source: str
    item_ids: np.ndarray  # item pks
    verdicts: list[dict]
    swapped: list[dict | None]


@dataclass
class FlagOut:
    expert_id: int
    kind: str
    message: str
    evidence: dict


@dataclass
class Aggregates:
    item_ids: list[int] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    confidence: list[float | None] = field(default_factory=list)
    criteria_confidence: list[dict] = field(default_factory=list)
    method: list[str] = field(default_factory=list)
    n: list[int] = field(default_factory=list)
    majority: list[dict | None] = field(default_factory=list)
    majority_confidence: list[float | None] = field(default_factory=list)


@dataclass
class ComputeResult:
    data: dict
    aggregates: Aggregates
    flags: list[FlagOut]


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return num(value)
    return value


# --- per criterion --------------------------------------------------------------------------


def _periods(times: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Bucket completion times into days, weeks or months (at most ~26 buckets)."""
    lo, hi = float(times.min()), float(times.max())
    span_days = (hi - lo) / 86400.0
    width = 86400.0 if span_days <= 21 else 7 * 86400.0 if span_days <= 26 * 7 else 30 * 86400.0
    start = math.floor(lo / width) * width
    bucket = ((times - start) // width).astype(np.int64)
    labels = [
        datetime.fromtimestamp(start + b * width, tz=UTC).date().isoformat()
        for b in range(int(bucket.max()) + 1)
    ]
    return bucket, labels


def _timeline(counts: np.ndarray, done_at: np.ndarray, level: str) -> list[dict]:
    """Agreement among the items completed in each period (point values; no bootstrap)."""
    pairable = counts.sum(axis=1) >= 2
    if pairable.sum() < TIMELINE_MIN_ITEMS:
        return []
    bucket, labels = _periods(done_at[pairable])
    rows = counts[pairable]
    out = []
    for b, label in enumerate(labels):
        sel = rows[bucket == b]
        if sel.shape[0] < TIMELINE_MIN_ITEMS:
            if sel.shape[0]:
                out.append(
                    {"period": label, "alpha": None, "percent": None, "n_items": int(sel.shape[0])}
                )
            continue
        pa = stats.percent_agreement(sel, min_items=TIMELINE_MIN_ITEMS, n_boot=0)
        out.append(
            {
                "period": label,
                "alpha": num(stats.alpha_value(sel, level)),
                "percent": num(pa.value) if isinstance(pa, stats.Estimate) else None,
                "n_items": int(sel.shape[0]),
            }
        )
    return out


@dataclass
class CriterionResult:
    summary: dict
    it: np.ndarray
    wk: np.ndarray
    lab: np.ndarray
    expert: stats.ExpertAgreement | None = None
    labels: np.ndarray | None = None  # aggregated code per item (-1 none)
    confidence: np.ndarray | None = None
    majority: stats.MajorityVoteResult | None = None
    rubric: stats.RubricSummary | None = None


def _criterion(
    data: ProjectData, spec: CriterionSpec, done_at: np.ndarray, *, n_boot: int, seed: int
) -> CriterionResult:
    k = spec.n_classes
    n_w = data.n_experts
    if spec.multi_unit:
        ann, sub, codes = data.multi[spec.key]
        keep = codes >= 0
        unit_key = data.ann_item[ann[keep]] * 1024 + sub[keep]
        _, it = np.unique(unit_key, return_inverse=True)
        it = it.ravel().astype(np.int64)
        wk, lab = data.ann_expert[ann[keep]], codes[keep]
        n_units = int(it.max()) + 1 if it.size else 0
        unit_done = np.zeros(n_units)
        if it.size:
            np.maximum.at(unit_done, it, data.ann_time[ann[keep]])
    else:
        codes = data.codes[spec.key]
        keep = codes >= 0
        it, wk, lab = data.ann_item[keep], data.ann_expert[keep], codes[keep]
        n_units = data.n_items
        unit_done = done_at
    counts = stats.value_counts(it, lab, k, n_units)
    level = spec.level
    summary = {
        "key": spec.key,
        "label": spec.label,
        "level": level,
        "classes": spec.classes,
        "n_annotations": int(lab.shape[0]),
        "n_units": int((counts.sum(axis=1) > 0).sum()),
        "alpha": est(stats.krippendorff_alpha(counts, level, n_boot=n_boot, seed=seed)),
        "percent": est(stats.percent_agreement(counts, n_boot=n_boot, seed=seed)),
        "fleiss": est(stats.fleiss_kappa(counts, n_boot=n_boot, seed=seed))
        if level == "nominal"
        else None,
        "timeline": _timeline(counts, unit_done, level),
    }
    result = CriterionResult(summary, it, wk, lab)
    if lab.size == 0:
        summary["pairwise_kappa"] = {"median": None, "n_pairs": 0, "n_pairs_considered": 0}
        return result
    # Only the median over pairs is shown (the experts' ceiling): no per-pair bootstrap, which
    # would cost O(pairs x replicates) when every expert answers the same gold items.
    pk = stats.pairwise_cohen_kappa(it, wk, lab, k, n_workers=n_w, weights=spec.weights, n_boot=0)
    summary["pairwise_kappa"] = {
        "median": num(pk.median()),
        "n_pairs": int(pk.kappa.enough.sum()),
        "n_pairs_considered": int(pk.n_pairs_considered),
        "weights": spec.weights or "nominal",
    }
    result.expert = stats.expert_agreement(
        it, wk, lab, k, n_workers=n_w, weights=spec.weights, n_boot=n_boot, seed=seed
    )
    if spec.multi_unit:
        return result
    # Aggregation into one label per item.
    mv = stats.majority_vote(it, lab, k, n_items=data.n_items, seed=seed)
    result.majority = mv
    voted = mv.n_votes > 0
    if level == "nominal":
        gold = data.gold_codes[spec.key]
        gold_idx = np.flatnonzero(gold >= 0)
        ds = stats.dawid_skene(
            it,
            wk,
            lab,
            k,
            n_items=data.n_items,
            n_workers=n_w,
            gold_items=gold_idx,
            gold_labels=gold[gold_idx],
        )
        labels = np.where(voted, ds.labels, -1)
        conf = np.where(voted, ds.confidence, np.nan)
        result.labels, result.confidence = labels, conf
        agg_conf = conf[voted]
        summary["aggregation"] = {
            "method": "dawid_skene",
            "n_items": int(voted.sum()),
            "mean_confidence": num(agg_conf.mean()) if agg_conf.size else None,
            "low_confidence_items": int((agg_conf < 0.8).sum()),
            "majority_ties": int((mv.tied & voted).sum()),
            "changed_vs_majority": int(((ds.labels != mv.labels) & voted & ~mv.tied).sum()),
            "distribution": {
                spec.classes[c]: int(n)
                for c, n in enumerate(np.bincount(labels[voted], minlength=k))
            },
            "converged": bool(ds.converged),
            "n_iter": int(ds.n_iter),
        }
    else:
        values = np.asarray(spec.values, dtype=float)
        rs = stats.rubric_summary(it, values[lab], n_items=data.n_items)
        result.rubric = rs
        means = rs.mean[voted]
        summary["aggregation"] = {
            "method": "mean_median",
            "n_items": int(voted.sum()),
            "mean_of_means": num(np.nanmean(means)) if means.size else None,
            "median_of_medians": num(np.nanmedian(rs.median[voted])) if means.size else None,
            "mean_spread": num(np.nanmean(rs.std[voted])) if means.size else None,
            "distribution": {
                spec.classes[c]: int(n) for c, n in enumerate(np.bincount(lab, minlength=k))
            },
        }
    return result


# --- aggregates for exports -----------------------------------------------------------------


def _aggregates(data: ProjectData, results: dict[str, CriterionResult]) -> Aggregates:
    kind = data.project.task_type
    specs = [s for s in data.specs if not s.multi_unit and s.key in results]
    out = Aggregates()
    if not specs:
        return out
    n_votes = np.bincount(data.ann_item, minlength=data.n_items)
    primary = specs[0]
    pr = results[primary.key]
    for i in np.flatnonzero(n_votes > 0):
        i = int(i)
        label: dict = {}
        conf: dict = {}
        if kind == "pairwise":
            for s in specs:
                r = results[s.key]
                if r.labels is None or r.labels[i] < 0:
                    continue
                value = s.values[r.labels[i]]
                if s.key == "overall":
                    label["choice"] = value
                else:
                    label.setdefault("criteria", {})[s.key] = value
                conf[s.key] = num(r.confidence[i])
        elif kind == "classification" and (data.project.task_config or {}).get("multi"):
            chosen = []
            for s in specs:
                r = results[s.key]
                if r.labels is not None and r.labels[i] == 1:
                    chosen.append(s.key)
                if r.confidence is not None:
                    conf[s.key] = num(r.confidence[i])
            label["labels"] = chosen or ["none_of_these"]
        elif kind in ("classification", "trajectory"):
            r = results[primary.key]
            if r.labels is not None and r.labels[i] >= 0:
                label[primary.key] = primary.values[r.labels[i]]
                conf[primary.key] = num(r.confidence[i])
        elif kind == "rubric":
            for s in specs:
                rs = results[s.key].rubric
                if rs is None or rs.n_scores[i] == 0:
                    continue
                label.setdefault("scores", {})[s.key] = num(rs.median[i])
                label.setdefault("mean_scores", {})[s.key] = num(rs.mean[i])
        elif kind == "ranking":
            means = []
            for s in specs:
                rs = results[s.key].rubric
                means.append(num(rs.mean[i]) if rs is not None and rs.n_scores[i] else None)
            label["mean_ranks"] = means
            valid = [(m if m is not None else 1e9, j) for j, m in enumerate(means)]
            order = sorted(valid)
            ranks = [0] * len(means)
            for rank, (_, j) in enumerate(order, start=1):
                ranks[j] = rank
            label["ranks"] = ranks
        if not label:
            continue
        values = [v for v in conf.values() if v is not None]
        out.item_ids.append(int(data.item_ids[i]))
        out.labels.append(label)
        out.confidence.append(min(values) if values else None)
        out.criteria_confidence.append(conf)
        out.method.append("dawid_skene" if conf else "median")
        out.n.append(int(n_votes[i]))
        mv = pr.majority
        if mv is not None and mv.labels[i] >= 0:
            out.majority.append({primary.key: primary.values[mv.labels[i]]})
            out.majority_confidence.append(num(mv.confidence[i]))
        else:
            out.majority.append(None)
            out.majority_confidence.append(None)
    return out


# --- gold -----------------------------------------------------------------------------------


def _gold(
    data: ProjectData, threshold: float, primary: CriterionSpec | None
) -> tuple[dict, stats.GoldAccuracy | None, np.ndarray]:
    on_gold = data.gold_active[data.ann_item] & (data.ann_gold_correct >= 0)
    wk = data.ann_expert[on_gold]
    correct = data.ann_gold_correct[on_gold] == 1
    n_gold = int(data.gold_active.sum())
    coverage = {
        "gold_items": n_gold,
        "retired_gold_items": int(data.gold_retired.sum()),
        "gold_answers": int(on_gold.sum()),
        "share_of_annotations": num(on_gold.mean()) if on_gold.size else None,
        "gold_items_answered": int(np.unique(data.ann_item[on_gold]).size),
        "experts_with_gold": int(np.unique(wk).size),
        "experts_with_enough_gold": 0,
        "experts": data.n_experts,
        "min_gold_per_expert": stats.MIN_GOLD_ITEMS,
    }
    if not on_gold.any():
        return {"coverage": coverage, "histogram": None, "most_missed": []}, None, on_gold
    ga = stats.gold_accuracy(wk, correct, n_workers=data.n_experts, threshold=threshold)
    coverage["experts_with_enough_gold"] = int(ga.accuracy.enough.sum())
    acc = ga.accuracy.value[ga.accuracy.enough]
    edges = np.linspace(0.0, 1.0, 11)
    hist = np.histogram(acc, bins=edges)[0] if acc.size else np.zeros(10, dtype=int)
    answers = None
    if primary is not None and not primary.multi_unit:
        answers = data.codes[primary.key][on_gold]
    missed = stats.most_missed_gold(
        data.ann_item[on_gold],
        correct,
        answers=np.maximum(answers, 0) if answers is not None else None,
        n_classes=primary.n_classes if answers is not None else None,
        top=10,
    )
    most_missed = [
        {
            "item_id": int(data.item_ids[m.item]),
            "external_id": data.external_ids[m.item],
            "n_answers": m.n_answers,
            "n_missed": m.n_missed,
            "miss_rate": num(m.miss_rate),
            "ci_low": num(m.ci_low),
            "ci_high": num(m.ci_high),
            "most_common_wrong": primary.classes[m.most_common_wrong]
            if primary is not None and m.most_common_wrong is not None
            else None,
        }
        for m in missed
    ]
    return (
        {
            "coverage": coverage,
            "threshold": threshold,
            "histogram": {"edges": [num(e) for e in edges], "counts": [int(c) for c in hist]},
            "mean_accuracy": num(acc.mean()) if acc.size else None,
            "most_missed": most_missed,
        },
        ga,
        on_gold,
    )


# --- flags ----------------------------------------------------------------------------------


def _flags(data: ProjectData, on_gold: np.ndarray, names: dict[int, str]) -> list[FlagOut]:
    n_w = data.n_experts
    raw: list[stats.Flag] = []
    if data.n_annotations:
        raw += stats.speeder_flags(data.ann_expert, data.ann_seconds, n_workers=n_w)
    kind = data.project.task_type
    single = [s for s in data.specs if not s.multi_unit]
    if kind == "pairwise" and single:
        codes = data.codes["overall"]
        keep = codes >= 0
        raw += stats.position_bias_flags(data.ann_expert[keep], codes[keep], n_workers=n_w)
    elif single:
        spec = single[0]
        codes = data.codes[spec.key]
        keep = codes >= 0
        if keep.any():
            raw += stats.straight_lining_flags(
                data.ann_expert[keep], codes[keep], spec.n_classes, n_workers=n_w
            )
    if kind == "free_text" and data.texts:
        dup = stats.near_duplicate_text_flags(data.texts, data.ann_expert[data.text_ann])
        raw += dup.flags
    if on_gold.any():
        raw += stats.gold_drop_flags(
            data.ann_expert[on_gold],
            data.ann_gold_correct[on_gold] == 1,
            data.ann_time[on_gold],
            n_workers=n_w,
        )
    out = []
    for f in raw:
        evidence = _jsonable(dict(f.evidence))
        message = f.message
        if "partners" in evidence:
            evidence["partners"] = [int(data.expert_ids[p]) for p in evidence["partners"]]
            partners = ", ".join(names.get(p, f"#{p}") for p in evidence["partners"])
            message = (
                f"{evidence['n_duplicates']} of {evidence['n_texts']} free-text answers nearly "
                f"duplicate text written by {partners}"
            )
        if "examples" in evidence:
            evidence["examples"] = [
                int(data.item_ids[data.ann_item[data.text_ann[e]]]) for e in evidence["examples"]
            ]
            evidence["example_item_ids"] = evidence.pop("examples")
        if f.kind == "straight_lining" and single:
            evidence["label"] = single[0].classes[int(evidence["label"])]
        out.append(FlagOut(int(data.expert_ids[f.worker]), f.kind, message, evidence))
    return out


# --- Bradley–Terry --------------------------------------------------------------------------


def _ranking(data: ProjectData) -> list[dict]:
    if not data.comparisons or data.comparisons[0].size == 0:
        return []
    ann, slot_w, slot_l, tie = data.comparisons
    names: dict[str, int] = {}
    max_slots = max((len(e) for e in data.entities), default=0)
    ent = np.full((data.n_items, max(max_slots, 1)), -1, dtype=np.int64)
    for i, row in enumerate(data.entities):
        for j, name in enumerate(row):
            ent[i, j] = names.setdefault(name, len(names))
    if len(names) > 5000:
        return []
    group_names: dict[str, int] = {}
    group_of = np.fromiter(
        (group_names.setdefault(g, len(group_names)) for g in data.groups),
        dtype=np.int64,
        count=data.n_items,
    )
    item = data.ann_item[ann]
    win, lose = ent[item, slot_w], ent[item, slot_l]
    grp = group_of[item]
    sizes = np.bincount(grp, minlength=len(group_names))
    inv_names = {v: k for k, v in names.items()}
    inv_groups = {v: k for k, v in group_names.items()}
    out = []
    for g in np.argsort(-sizes)[:MAX_RANKING_GROUPS]:
        sel = (grp == g) & (win >= 0) & (lose >= 0)
        if sel.sum() < 2:
            continue
        used, local = np.unique(np.r_[win[sel], lose[sel]], return_inverse=True)
        local = local.ravel()
        n_sel = int(sel.sum())
        w_local, l_local = local[:n_sel], local[n_sel:]
        t = tie[sel] == 1
        if used.size < 2 or used.size > MAX_ENTITIES:
            continue
        bt = stats.bradley_terry(
            w_local[~t], l_local[~t], int(used.size), ties=(w_local[t], l_local[t])
        )
        entities = [
            {
                "name": inv_names[int(used[j])],
                "score": num(bt.scores[j]),
                "ci_low": num(bt.ci_low[j]),
                "ci_high": num(bt.ci_high[j]),
                "wins": num(bt.wins[j]),
                "n": int(bt.n_comparisons[j]),
            }
            for j in bt.ranking
        ]
        out.append(
            {
                "group": inv_groups[int(g)] or "All items",
                "n_comparisons": n_sel,
                "entities": entities,
            }
        )
    return out


# --- judges ---------------------------------------------------------------------------------


def _judge(
    data: ProjectData,
    judge: JudgeInput,
    results: dict[str, CriterionResult],
    *,
    n_boot: int,
    seed: int,
) -> dict:
    codes_item = np.searchsorted(data.item_ids, judge.item_ids)
    valid = np.zeros(len(judge.item_ids), dtype=bool)
    if data.n_items:
        inside = codes_item < data.n_items
        valid[inside] = data.item_ids[codes_item[inside]] == judge.item_ids[inside]
        codes_item = np.minimum(codes_item, data.n_items - 1)
    criteria = []
    for spec in data.specs:
        if spec.multi_unit or spec.key not in results:
            continue
        r = results[spec.key]
        jl = np.array(
            [spec.extract(v) if isinstance(v, dict) else -1 for v in judge.verdicts], dtype=np.int64
        )
        keep = valid & (jl >= 0)
        if not keep.any():
            continue
        ji, jlab = codes_item[keep], jl[keep]
        cal = stats.judge_calibration(
            r.it,
            r.wk,
            r.lab,
            ji,
            jlab,
            spec.n_classes,
            n_workers=data.n_experts,
            weights=spec.weights,
            scoring="neg_rmse" if spec.level == "ordinal" else "accuracy",
            n_boot=n_boot,
            seed=seed,
        )
        alt = cal.alt_test
        if isinstance(alt, stats.AltTestResult):
            alt_json = {
                "winning_rate": num(alt.winning_rate),
                "advantage_probability": num(alt.advantage_probability),
                "passed": bool(alt.passed),
                "n_wins": alt.n_wins,
                "n_experts": alt.n_experts,
                "epsilon": alt.epsilon,
                "q": alt.q,
            }
        else:
            alt_json = est(alt)
        entry = {
            "key": spec.key,
            "label": spec.label,
            "classes": spec.classes,
            "n_verdicts": int(keep.sum()),
            "agreement": est(cal.agreement),
            "kappa": est(cal.kappa),
            "weights": spec.weights or "nominal",
            "confusion": cal.confusion.tolist(),
            "expert_ceiling": num(cal.expert_ceiling),
            "n_expert_pairs": cal.n_expert_pairs,
            "alt_test": alt_json,
            "usable": bool(cal.usable),
            "reasons": list(cal.reasons),
            "verdict": cal.verdict(judge.name, spec.label),
            "swap": None,
        }
        if data.project.task_type == "pairwise":
            sw = np.array(
                [spec.extract(s) if isinstance(s, dict) else -1 for s in judge.swapped],
                dtype=np.int64,
            )
            both = keep & (sw >= 0)
            if both.any():
                sc = stats.swap_consistency(jl[both], sw[both])
                entry["swap"] = {
                    "n_pairs": sc.n_pairs,
                    "consistency": est(sc.consistency),
                    "position_bias_rate": est(sc.same_position),
                    "first_share": num(sc.first_share),
                    "p_value": num(sc.p_value),
                    "biased": bool(sc.biased),
                    "direction": sc.direction,
                }
                if sc.biased:
                    entry["verdict"] += (
                        f"; position bias: picked the {sc.direction} position in both orders "
                        f"on {sc.same_position.value:.0%} of swapped pairs"
                        if isinstance(sc.same_position, stats.Estimate)
                        else ""
                    )
        criteria.append(entry)
    return {
        "name": judge.name,
        "source": judge.source,
        "n_verdicts": int(valid.sum()),
        "usable_on": [c["key"] for c in criteria if c["usable"]],
        "criteria": criteria,
    }


# --- the snapshot ---------------------------------------------------------------------------


def snapshot_compute(
    data: ProjectData,
    *,
    judges: list[JudgeInput],
    expert_names: dict[int, str],
    gold_threshold: float,
    now: datetime,
    n_boot: int = stats.DEFAULT_N_BOOT,
    seed: int = 0,
) -> ComputeResult:
    n_w = data.n_experts
    done_at = np.zeros(data.n_items)
    if data.n_annotations:
        np.maximum.at(done_at, data.ann_item, data.ann_time)
    results: dict[str, CriterionResult] = {}
    criteria = []
    for spec in data.specs:
        if data.n_annotations == 0:
            break
        r = _criterion(data, spec, done_at, n_boot=n_boot, seed=seed)
        results[spec.key] = r
        criteria.append(r.summary)
    primary = next((s for s in data.specs if s.key in results), None)
    gold, ga, on_gold = _gold(data, gold_threshold, primary)
    flags = _flags(data, on_gold, expert_names) if data.n_annotations else []
    flag_kinds: dict[int, list[str]] = {}
    for f in flags:
        flag_kinds.setdefault(f.expert_id, []).append(f.kind)

    experts = []
    if n_w:
        n_ann = np.bincount(data.ann_expert, minlength=n_w)
        med = group_median(data.ann_expert, data.ann_seconds, n_w)
        ea = results[primary.key].expert if primary is not None else None
        for w in range(n_w):
            pk = int(data.expert_ids[w])
            gold_est = ga.accuracy.get(w) if ga is not None else None
            experts.append(
                {
                    "id": pk,
                    "name": expert_names.get(pk, f"Expert #{pk}"),
                    "n_annotations": int(n_ann[w]),
                    "median_seconds": num(med[w]),
                    "agreement": est(ea.agreement.get(w)) if ea is not None else None,
                    "kappa": est(ea.kappa.get(w)) if ea is not None else None,
                    "gold": est(gold_est) if gold_est is not None else None,
                    "gold_seen": int(ga.accuracy.n_items[w]) if ga is not None else 0,
                    "gold_correct": int(ga.n_correct[w]) if ga is not None else 0,
                    "p_below_threshold": num(ga.p_below_threshold[w]) if ga is not None else None,
                    "flags": flag_kinds.get(pk, []),
                }
            )
    by_kind: dict[str, int] = {}
    for f in flags:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    n_annotated = int(np.unique(data.ann_item).size) if data.n_annotations else 0
    payload = {
        "version": 1,
        "task_type": data.project.task_type,
        "computed_at": now.isoformat(),
        "n_boot": n_boot,
        "primary_criterion": primary.key if primary is not None else None,
        "totals": {
            "annotations": data.n_annotations,
            "items": data.n_items,
            "items_annotated": n_annotated,
            "experts": n_w,
            "median_active_seconds": num(np.median(data.ann_seconds))
            if data.n_annotations
            else None,
            "overlap": data.project.overlap,
        },
        "criteria": criteria,
        "experts": experts,
        "gold": gold,
        "ranking": _ranking(data),
        "flags": {"found": len(flags), "by_kind": by_kind},
        "judges": [_judge(data, j, results, n_boot=n_boot, seed=seed) for j in judges]
        if data.n_annotations
        else [],
    }
    return ComputeResult(_jsonable(payload), _aggregates(data, results), flags)
