"""items.jsonl: one line per item that has at least one (filtered) annotation, with all of its
responses."""

import itertools
from collections.abc import Iterator
from operator import itemgetter

from labeling.exports.base import iso, jsonl
from labeling.selectors.exports import ExportFilters, iter_annotations
from marketplace.models import Project


def items_jsonl(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    rows = iter_annotations(project=project, filters=filters, with_payload=True)
    for item_id, group in itertools.groupby(rows, key=itemgetter("item_id")):
        group = list(group)
        first = group[0]
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
            }
        )
