"""annotations.csv: one row per annotation; JSON columns hold JSON text. Safe to open in a
spreadsheet: a text cell starting with = + - @ (or a tab / carriage return) gets a leading
apostrophe so it is never evaluated as a formula."""

import csv
from collections.abc import Iterator

from labeling.selectors.exports import ExportFilters, iter_annotation_tuples
from marketplace.models import Project

COLUMNS = [
    "annotation_id",
    "item_id",
    "external_id",
    "expert",
    "review_status",
    "auto_accepted",
    "active_seconds",
    "submitted_at",
    "is_gold",
    "gold_correct",
    "response",
    "gold_answer",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Line:
    def write(self, value: str) -> str:
        return value


def annotations_csv(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for (
        annotation_id,
        item_id,
        external_id,
        expert,
        review_status,
        auto_accepted,
        active_seconds,
        submitted_at,
        is_gold,
        gold_correct,
        response,
        gold,
    ) in iter_annotation_tuples(project=project, filters=filters):
        yield writer.writerow(
            (
                annotation_id,
                item_id,
                safe_cell(external_id),
                safe_cell(expert or ""),
                review_status,
                auto_accepted,
                active_seconds,
                submitted_at.isoformat(),
                is_gold,
                "" if gold_correct is None else gold_correct,
                safe_cell(response),
                "" if gold is None else safe_cell(gold),
            )
        )
