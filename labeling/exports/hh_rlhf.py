"""Anthropic HH-RLHF style: {"chosen": transcript, "rejected": transcript}, each transcript
"\\n\\nHuman: <prompt>\\n\\nAssistant: <response>". User and system messages are Human turns,
assistant messages Assistant turns."""

from collections.abc import Iterator

from labeling.exports.base import jsonl
from labeling.exports.pairs import iter_pairs, prompt_messages
from labeling.selectors.exports import ExportFilters
from marketplace.models import Project


def transcript(prompt) -> str:
    return "".join(
        f"\n\n{'Assistant' if m['role'] == 'assistant' else 'Human'}: {m['content']}"
        for m in prompt_messages(prompt)
    )


def hh_rlhf_jsonl(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    for pair in iter_pairs(project=project, filters=filters):
        head = transcript(pair.prompt)
        record = {
            "chosen": f"{head}\n\nAssistant: {pair.chosen}",
            "rejected": f"{head}\n\nAssistant: {pair.rejected}",
        }
        if filters.metadata:
            record["metadata"] = pair.metadata()
        yield jsonl(record)
