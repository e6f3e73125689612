"""KTO (unpaired preference, TRL standard format): two lines per pair,
{"prompt": str, "completion": chosen, "label": true} then the rejected one with false."""

from collections.abc import Iterator

from labeling.exports.base import jsonl
from labeling.exports.pairs import iter_pairs, prompt_text
from labeling.selectors.exports import ExportFilters
from marketplace.models import Project


def kto_jsonl(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    for pair in iter_pairs(project=project, filters=filters):
        prompt = prompt_text(pair.prompt)
        meta = {"metadata": pair.metadata()} if filters.metadata else {}
        yield jsonl({"prompt": prompt, "completion": pair.chosen, "label": True, **meta})
        yield jsonl({"prompt": prompt, "completion": pair.rejected, "label": False, **meta})
