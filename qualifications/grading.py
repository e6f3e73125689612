"""Pure functions: validate an answer's shape for a question and grade it against gold."""

import re
from decimal import Decimal, InvalidOperation

from core.exceptions import ValidationFailed
from qualifications.models import Question

MIN_RATIONALE_CHARS = 10


def _normalize_text(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().casefold()


def clean_answer(question: Question, answer, rationale: str = ""):
    """Return the answer in canonical form, or raise ValidationFailed. Never reveals gold."""
    kind = question.kind
    keys = question.choice_keys
    if kind == Question.Kind.SINGLE:
        if not isinstance(answer, str) or answer not in keys:
            raise ValidationFailed(fields={"answer": ["Choose one of the options."]})
        return answer
    if kind == Question.Kind.MULTIPLE:
        if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
            raise ValidationFailed(fields={"answer": ["Give a list of option keys."]})
        if not set(answer) <= set(keys):
            raise ValidationFailed(fields={"answer": ["Unknown option."]})
        return sorted(set(answer))
    if kind == Question.Kind.NUMERIC:
        if isinstance(answer, bool):
            raise ValidationFailed(fields={"answer": ["Give a number."]})
        try:
            value = Decimal(str(answer).strip())
        except (InvalidOperation, ValueError) as exc:
            raise ValidationFailed(fields={"answer": ["Give a number."]}) from exc
        if not value.is_finite():
            raise ValidationFailed(fields={"answer": ["Give a number."]})
        return str(value)
    if kind == Question.Kind.SHORT_TEXT:
        if not isinstance(answer, str) or not answer.strip() or len(answer) > 500:
            raise ValidationFailed(fields={"answer": ["Give a short text answer (at most 500)."]})
        return answer.strip()
    if kind == Question.Kind.PAIRWISE:
        if answer not in ("a", "b"):
            raise ValidationFailed(fields={"answer": ['Choose "a" or "b".']})
        if len((rationale or "").strip()) < MIN_RATIONALE_CHARS:
            raise ValidationFailed(
                fields={"rationale": [f"Explain why in at least {MIN_RATIONALE_CHARS} characters."]}
            )
        return answer
    raise ValidationFailed(fields={"answer": ["Unsupported question."]})


def is_correct(question: Question, answer) -> bool:
    """Grade a canonical answer against the question's gold answer."""
    gold = question.gold
    kind = question.kind
    if kind in (Question.Kind.SINGLE, Question.Kind.PAIRWISE):
        return answer == gold
    if kind == Question.Kind.MULTIPLE:
        return sorted(set(answer or [])) == sorted(set(gold))
    if kind == Question.Kind.NUMERIC:
        try:
            value = Decimal(str(answer))
            target = Decimal(str(gold["value"]))
            tolerance = Decimal(str(gold.get("tolerance", 0)))
        except (InvalidOperation, ValueError, TypeError, KeyError):
            return False
        return abs(value - target) <= tolerance
    if kind == Question.Kind.SHORT_TEXT:
        accepted = {_normalize_text(g) for g in gold}
        return isinstance(answer, str) and _normalize_text(answer) in accepted
    return False


def describe_gold(question: Question) -> str:
    """Human-readable gold answer, for results after grading only."""
    gold = question.gold
    texts = {str(c.get("key")): c.get("text", "") for c in question.choices or []}
    if question.kind == Question.Kind.SINGLE:
        return texts.get(gold, str(gold))
    if question.kind == Question.Kind.MULTIPLE:
        return "; ".join(texts.get(g, str(g)) for g in gold)
    if question.kind == Question.Kind.NUMERIC:
        tol = gold.get("tolerance", 0)
        return f"{gold['value']} (± {tol})" if tol else str(gold["value"])
    if question.kind == Question.Kind.SHORT_TEXT:
        return " / ".join(gold)
    if question.kind == Question.Kind.PAIRWISE:
        return f"Response {str(gold).upper()}"
    return str(gold)
