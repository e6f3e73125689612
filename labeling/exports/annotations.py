"""annotations.jsonl: one line per annotation, as submitted and reviewed, in annotation order.

Fields: annotation_id, item_id, external_id, expert (pseudonym), response, active_seconds,
submitted_at, review_status, auto_accepted, is_gold, gold_answer, gold_correct. PostgreSQL
builds each line (selectors.exports.ANNOTATION_LINE): no decode/encode round trip in Python.
"""

from collections.abc import Iterator

from labeling.selectors.exports import ExportFilters, iter_annotation_json
from marketplace.models import Project


def annotations_jsonl(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    for line in iter_annotation_json(project=project, filters=filters):
        yield line + "\n"
