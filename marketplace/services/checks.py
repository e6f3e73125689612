"""Validation of a project's input as a whole: every field error at once, keyed by field name
(nested task configuration and example errors keyed by JSON pointer under the field)."""

from __future__ import annotations

import re

from django.utils import timezone

from core.exceptions import ValidationFailed
from marketplace.models import ContentWarning, Currency, TaskType, Visibility
from marketplace.models.projects import MAX_REVIEW_WINDOW_DAYS
from marketplace.task_types import task_type

REQUIREMENT_FIELDS = frozenset({"domains", "languages", "countries_allow", "countries_deny"})
# What may still change once a project is funded: wording and scheduling, not money or scope.
EDITABLE_AFTER_FUNDING = frozenset(
    {
        "title",
        "summary",
        "instructions",
        "examples",
        "content_warning_note",
        "deadline",
        "max_tasks_per_expert",
        "visibility",
    }
)
DEFAULTS = {
    "summary": "",
    "task_config": None,
    "instructions": "",
    "examples": [],
    "content_warning": "",
    "content_warning_note": "",
    "currency": Currency.USD.value,
    "item_count": 0,
    "overlap": 1,
    "gold_ratio_bps": 0,
    "review_window_days": 7,
    "max_tasks_per_expert": None,
    "deadline": None,
    "visibility": Visibility.OPEN.value,
    "domains": [],
    "languages": [],
    "countries_allow": [],
    "countries_deny": [],
}
REQUIRED = ("title", "task_type", "pay_per_task_minor", "estimated_minutes")
FIELDS = frozenset(REQUIRED) | frozenset(DEFAULTS)
CODE2 = re.compile(r"^[A-Za-z]{2}$")


def _int(errors, data, name, lo, hi=None, *, nullable=False):
    value = data.get(name)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = ["Must be a whole number."]
        return value
    if value < lo or (hi is not None and value > hi):
        errors[name] = [
            f"Must be between {lo} and {hi}." if hi is not None else f"Must be at least {lo}."
        ]
    return value


def _choice(errors, data, name, choices):
    value = data.get(name)
    if value not in choices:
        errors[name] = [f"Choose one of: {', '.join(c for c in choices if c) or 'none'}."]
    return value


def _codes(errors, data, name, *, upper: bool):
    values = data.get(name) or []
    if not isinstance(values, list | tuple) or not all(
        isinstance(v, str) and CODE2.match(v) for v in values
    ):
        errors[name] = ["Give two-letter codes."]
        return []
    values = [v.upper() if upper else v.lower() for v in values]
    return sorted(set(values))


def _domains(errors, data):
    from qualifications.models import Domain

    raw = data.get("domains") or []
    clean, seen = [], set()
    if not isinstance(raw, list | tuple):
        errors["domains"] = ["Must be a list of {domain_id, min_level}."]
        return []
    for i, item in enumerate(raw):
        try:
            domain_id, level = int(item["domain_id"]), int(item["min_level"])
        except (KeyError, TypeError, ValueError):
            errors[f"domains/{i}"] = ["Give domain_id and min_level."]
            continue
        if not 1 <= level <= 3:
            errors[f"domains/{i}/min_level"] = ["Must be between 1 and 3."]
        if domain_id in seen:
            errors[f"domains/{i}/domain_id"] = ["This domain is listed twice."]
        seen.add(domain_id)
        clean.append({"domain_id": domain_id, "min_level": level})
    if seen:
        active = set(
            Domain.objects.filter(pk__in=seen, is_active=True).values_list("pk", flat=True)
        )
        for i, item in enumerate(clean):
            if item["domain_id"] not in active:
                errors[f"domains/{i}/domain_id"] = ["Unknown or inactive domain."]
    return clean


def _examples(errors, data, kind, config):
    raw = data.get("examples") or []
    if not isinstance(raw, list) or len(raw) > 20:
        errors["examples"] = ["Give at most 20 examples."]
        return []
    clean = []
    for i, example in enumerate(raw):
        if not isinstance(example, dict):
            errors[f"examples/{i}"] = ["Must be an object."]
            continue
        item = {
            "title": str(example.get("title", ""))[:200],
            "input": str(example.get("input", "")),
            "response": example.get("response"),
            "explanation": str(example.get("explanation", "")),
        }
        if config is not None and item["response"] is not None:
            for pointer, msgs in kind.response_errors(config, item["response"]).items():
                errors[f"examples/{i}/response{pointer if pointer != '/' else ''}"] = msgs
        clean.append(item)
    return clean


def check_project_data(data: dict, *, partial: bool = False, changed: set | None = None) -> dict:
    """Normalized project fields, or ValidationFailed listing every invalid field."""
    unknown = set(data) - FIELDS
    errors: dict[str, list[str]] = {name: ["Unknown field."] for name in sorted(unknown)}
    data = {**DEFAULTS, **{k: v for k, v in data.items() if k in FIELDS}}
    for name in REQUIRED:
        if data.get(name) in (None, ""):
            errors[name] = ["This field is required."]
    clean: dict = {}
    title = (data.get("title") or "").strip()
    if "title" not in errors and not 3 <= len(title) <= 200:
        errors["title"] = ["Give a title of 3 to 200 characters."]
    clean["title"] = title
    clean["summary"] = (data.get("summary") or "").strip()[:300]
    clean["task_type"] = _choice(errors, data, "task_type", TaskType.values)
    kind = config = None
    if "task_type" not in errors:
        kind = task_type(clean["task_type"])
        try:
            config = kind.validate_config(data.get("task_config") or {})
        except ValidationFailed as exc:
            errors.update(exc.fields)
    clean["task_config"] = config
    clean["instructions"] = data.get("instructions") or ""
    if len(clean["instructions"]) > 100_000:
        errors["instructions"] = ["At most 100,000 characters."]
    clean["examples"] = _examples(errors, data, kind, config)
    clean["content_warning"] = _choice(errors, data, "content_warning", ContentWarning.values) or ""
    clean["content_warning_note"] = (data.get("content_warning_note") or "").strip()[:300]
    clean["currency"] = _choice(errors, data, "currency", Currency.values)
    if "pay_per_task_minor" not in errors:
        clean["pay_per_task_minor"] = _int(errors, data, "pay_per_task_minor", 1, 10_000_000)
    if "estimated_minutes" not in errors:
        clean["estimated_minutes"] = _int(errors, data, "estimated_minutes", 1, 600)
    clean["item_count"] = _int(errors, data, "item_count", 0, 10_000_000)
    clean["overlap"] = _int(errors, data, "overlap", 1, 50)
    clean["gold_ratio_bps"] = _int(errors, data, "gold_ratio_bps", 0, 5000)
    clean["review_window_days"] = _int(
        errors, data, "review_window_days", 1, MAX_REVIEW_WINDOW_DAYS
    )
    clean["max_tasks_per_expert"] = _int(errors, data, "max_tasks_per_expert", 1, nullable=True)
    deadline = data.get("deadline")
    if deadline is not None and (changed is None or "deadline" in changed):
        if not hasattr(deadline, "tzinfo"):
            errors["deadline"] = ["Give a date and time."]
        elif deadline <= timezone.now():
            errors["deadline"] = ["Must be in the future."]
    clean["deadline"] = deadline
    clean["visibility"] = _choice(errors, data, "visibility", Visibility.values)
    clean["domains"] = _domains(errors, data)
    clean["languages"] = _codes(errors, data, "languages", upper=False)
    clean["countries_allow"] = _codes(errors, data, "countries_allow", upper=True)
    clean["countries_deny"] = _codes(errors, data, "countries_deny", upper=True)
    both = set(clean["countries_allow"]) & set(clean["countries_deny"])
    if both:
        errors["countries_deny"] = [f"Both allowed and denied: {', '.join(sorted(both))}."]
    if clean["content_warning"] and not clean["content_warning_note"]:
        clean["content_warning_note"] = ""
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    return clean
