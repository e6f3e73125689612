"""OpenAI preference fine-tuning (DPO) JSONL:
{"input": {"messages": [...]}, "preferred_output": [{"role": "assistant", "content": ...}],
 "non_preferred_output": [{"role": "assistant", "content": ...}]}
Add ?metadata=0 for files to upload as they are (the API expects only these keys)."""

from collections.abc import Iterator

from labeling.exports.base import jsonl
from labeling.exports.pairs import iter_pairs, prompt_messages
from labeling.selectors.exports import ExportFilters
from marketplace.models import Project


def openai_preference_jsonl(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    for pair in iter_pairs(project=project, filters=filters):
        record = {
            "input": {"messages": prompt_messages(pair.prompt)},
            "preferred_output": [{"role": "assistant", "content": pair.chosen}],
            "non_preferred_output": [{"role": "assistant", "content": pair.rejected}],
        }
        if filters.metadata:
            record["metadata"] = pair.metadata()
        yield jsonl(record)
