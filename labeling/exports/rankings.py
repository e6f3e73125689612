"""rankings.jsonl (ranking projects): one line per annotation with the prompt, the responses,
the expert's ranks (ranks[i] is the rank of responses[i], 1 = best) and `order`, the response
indices from best to worst."""

from collections.abc import Iterator

from labeling.exports.base import iso, jsonl
from labeling.selectors.exports import ExportFilters, iter_annotations
from marketplace.models import Project


def rankings_jsonl(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    for row in iter_annotations(project=project, filters=filters, with_payload=True):
        payload = row["item__payload"]
        ranks = row["response"].get("ranks") or []
        yield jsonl(
            {
                "annotation_id": row["id"],
                "item_id": row["item_id"],
                "external_id": row["item__external_id"],
                "expert": row["expert__expert_profile__pseudonym"],
                "prompt": payload.get("prompt"),
                "responses": payload.get("responses"),
                "ranks": ranks,
                "order": sorted(range(len(ranks)), key=lambda i: (ranks[i], i)),
                "review_status": row["review_status"],
                "submitted_at": iso(row["submitted_at"]),
                "is_gold": row["item__is_gold"],
                "gold_answer": row["item__gold_answer"],
            }
        )
