"""TRL preference datasets (DPO, reward modelling): standard and conversational.

standard:        {"prompt": str, "chosen": str, "rejected": str}
conversational:  {"prompt": [{"role", "content"}...], "chosen": [{"role": "assistant", ...}],
                  "rejected": [{"role": "assistant", ...}]}
Both add "metadata" (see pairs.PairRecord.metadata) unless ?metadata=0.
"""

from collections.abc import Iterator

from labeling.exports.base import jsonl
from labeling.exports.pairs import iter_pairs, prompt_messages, prompt_text
from labeling.selectors.exports import ExportFilters
from marketplace.models import Project


def trl_jsonl(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    for pair in iter_pairs(project=project, filters=filters):
        record = {
            "prompt": prompt_text(pair.prompt),
            "chosen": pair.chosen,
            "rejected": pair.rejected,
        }
        if filters.metadata:
            record["metadata"] = pair.metadata()
        yield jsonl(record)


def trl_conversational_jsonl(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    for pair in iter_pairs(project=project, filters=filters):
        record = {
            "prompt": prompt_messages(pair.prompt),
            "chosen": [{"role": "assistant", "content": pair.chosen}],
            "rejected": [{"role": "assistant", "content": pair.rejected}],
        }
        if filters.metadata:
            record["metadata"] = pair.metadata()
        yield jsonl(record)
