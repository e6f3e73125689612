"""items.jsonl: one line per item that has at least one (filtered) annotation, with all of its
responses and the aggregated label of the latest quality snapshot (null before the first one)."""

import itertools
from collections.abc import Iterator
from operator import itemgetter

from labeling.exports.base import iso, jsonl
from labeling.quality.selectors import aggregated_labels_for_export
from labeling.selectors.exports import ExportFilters, iter_annotations
from marketplace.models import Project


def _aggregate_dict(aggregate) -> dict:
    return {
        "method": aggregate.method,
        "label": aggregate.label,
        "confidence": aggregate.confidence,
        "criteria_confidence": aggregate.criteria_confidence,
        "majority": aggregate.majority,
        "majority_confidence": aggregate.majority_confidence,
        "n_annotations": aggregate.n_annotations,
    }


def items_jsonl(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    rows = iter_annotations(project=project, filters=filters, with_payload=True)
    # Both streams are in ascending item id order: a merge join keeps memory constant.
    aggregates = aggregated_labels_for_export(project=project)
    pending = next(aggregates, None)
    for item_id, group in itertools.groupby(rows, key=itemgetter("item_id")):
        group = list(group)
        first = group[0]
        while pending is not None and pending.item_id < item_id:
            pending = next(aggregates, None)
        aggregate = pending if pending is not None and pending.item_id == item_id else None
        yield jsonl(
            {
                "item_id": item_id,
                "external_id": first["item__external_id"],
                "payload": first["item__payload"],
                "is_gold": first["item__is_gold"],
                "gold_answer": first["item__gold_answer"],
                "annotations": [
                    {
                        "annotation_id": r["id"],
                        "expert": r["expert__expert_profile__pseudonym"],
                        "response": r["response"],
                        "active_seconds": r["active_seconds"],
                        "submitted_at": iso(r["submitted_at"]),
                        "review_status": r["review_status"],
                    }
                    for r in group
                ],
                "aggregate": _aggregate_dict(aggregate) if aggregate is not None else None,
            }
        )
