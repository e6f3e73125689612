"""The pair-record builder: one preference pair per pairwise item, aggregated over its
annotations, from which every preference format (TRL, HH-RLHF, OpenAI, KTO) is rendered.

Per item: the majority choice among the (filtered) annotations' votes a / b / tie. A tie vote
as the majority, or a draw between the top choices, gives no pair. `agreement` is the share of
the item's annotators who voted with the majority; `strength` the mean strength (1–3) given by
those annotators (None when the project does not ask for strength).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter

from labeling.selectors.exports import ExportFilters, iter_annotations
from marketplace.models import Project

ROLE_LABELS = {"system": "System", "user": "User", "assistant": "Assistant"}


@dataclass(slots=True)
class PairRecord:
    item_id: int
    external_id: str
    is_gold: bool
    prompt: str | list
    chosen: str
    rejected: str
    strength: float | None
    agreement: float
    annotators: list[str]
    votes: dict[str, int]

    def metadata(self) -> dict:
        return {
            "item_id": self.item_id,
            "external_id": self.external_id,
            "is_gold": self.is_gold,
            "strength": self.strength,
            "agreement": self.agreement,
            "annotators": self.annotators,
            "votes": self.votes,
        }


def prompt_messages(prompt) -> list[dict]:
    """A prompt as role/content messages (a string prompt is one user message)."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": m["role"], "content": m["content"]} for m in prompt]


def prompt_text(prompt) -> str:
    """A prompt as one string: itself, the content of a single user message, or a transcript
    "User: ...\\n\\nAssistant: ..." of several messages."""
    if isinstance(prompt, str):
        return prompt
    if len(prompt) == 1 and prompt[0]["role"] == "user":
        return prompt[0]["content"]
    return "\n\n".join(f"{ROLE_LABELS[m['role']]}: {m['content']}" for m in prompt)


def pair_from_rows(rows: list[dict]) -> PairRecord | None:
    """One item's annotation rows (with payload) → its pair record, or None (tie / no majority)."""
    votes = {"a": 0, "b": 0, "tie": 0}
    for row in rows:
        choice = (row["response"] or {}).get("choice")
        if choice in votes:
            votes[choice] += 1
    total = sum(votes.values())
    if not total:
        return None
    top = max(votes.values())
    winners = [c for c, n in votes.items() if n == top]
    if len(winners) != 1 or winners[0] == "tie":
        return None
    winner = winners[0]
    first = rows[0]
    payload = first["item__payload"]
    chosen, rejected = (
        (payload["response_a"], payload["response_b"])
        if winner == "a"
        else (payload["response_b"], payload["response_a"])
    )
    strengths = [
        r["response"]["strength"]
        for r in rows
        if r["response"].get("choice") == winner and isinstance(r["response"].get("strength"), int)
    ]
    return PairRecord(
        item_id=first["item_id"],
        external_id=first["item__external_id"],
        is_gold=first["item__is_gold"],
        prompt=payload["prompt"],
        chosen=chosen,
        rejected=rejected,
        strength=round(sum(strengths) / len(strengths), 2) if strengths else None,
        agreement=round(top / total, 4),
        annotators=[r["expert__expert_profile__pseudonym"] or "" for r in rows],
        votes=votes,
    )


def iter_pairs(*, project: Project, filters: ExportFilters) -> Iterator[PairRecord]:
    rows = iter_annotations(project=project, filters=filters, with_payload=True)
    for _item_id, group in itertools.groupby(rows, key=itemgetter("item_id")):
        record = pair_from_rows(list(group))
        if record is not None:
            yield record
