"""Forms of the company's step-by-step project editor and of the expert pages.

The forms only parse what people type; every rule lives in marketplace.services (the review
step calls project_create / project_update, which validate everything again)."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

from django import forms

from marketplace.models import ContentWarning, Currency, TaskType, Visibility
from marketplace.models.projects import MAX_REVIEW_WINDOW_DAYS

TEXT_MODES = [("none", "Not asked"), ("optional", "Optional"), ("required", "Required")]


class BasicsForm(forms.Form):
    organization = forms.TypedChoiceField(coerce=int, label="Company")
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        max_length=300, required=False, help_text="One line shown on the job board."
    )
    task_type = forms.ChoiceField(choices=TaskType.choices, widget=forms.RadioSelect)
    instructions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        help_text="Markdown. Raw HTML is removed.",
    )
    content_warning = forms.ChoiceField(
        choices=ContentWarning.choices,
        required=False,
        help_text="Experts must opt in before they see items.",
    )
    content_warning_note = forms.CharField(max_length=300, required=False)
    visibility = forms.ChoiceField(
        choices=Visibility.choices, widget=forms.RadioSelect, initial=Visibility.OPEN
    )

    def __init__(self, *args, organizations=(), lock_task_type=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [(o.pk, o.name) for o in organizations]
        if lock_task_type:
            self.fields["task_type"].disabled = True
            self.fields["organization"].disabled = True


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _key_labels(text: str) -> list[dict]:
    """'key: Label' per line (a line without ':' uses a slug of the label as key)."""
    from django.utils.text import slugify

    items = []
    for line in _lines(text):
        key, sep, label = line.partition(":")
        if not sep:
            key, label = slugify(line).replace("-", "_"), line
        items.append({"key": key.strip(), "label": label.strip()})
    return items


def _key_labels_text(items) -> str:
    return "\n".join(f"{i['key']}: {i['label']}" for i in items or [])


class ConfigForm(forms.Form):
    """Base of the per-task-type configuration forms; `to_config` builds task_config."""

    example_input = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Example item",
        help_text="Optional: an item shown to experts as a worked example.",
    )
    example_response = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        required=False,
        label="Example response (JSON)",
        help_text="Checked against the response schema.",
    )
    example_explanation = forms.CharField(required=False, label="Why this response")

    def clean_example_response(self):
        raw = self.cleaned_data.get("example_response", "").strip()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from exc

    def to_config(self) -> dict:
        raise NotImplementedError

    def examples(self) -> list[dict]:
        d = self.cleaned_data
        if not d.get("example_input") and d.get("example_response") is None:
            return []
        return [
            {
                "title": "Example",
                "input": d.get("example_input", ""),
                "response": d.get("example_response"),
                "explanation": d.get("example_explanation", ""),
            }
        ]

    @classmethod
    def initial_from(cls, config: dict, examples: list) -> dict:
        initial = cls.config_initial(config)
        if examples:
            ex = examples[0]
            initial.update(
                example_input=ex.get("input", ""),
                example_response=json.dumps(ex["response"])
                if ex.get("response") is not None
                else "",
                example_explanation=ex.get("explanation", ""),
            )
        return initial

    @classmethod
    def config_initial(cls, config: dict) -> dict:
        return dict(config)


class PairwiseConfigForm(ConfigForm):
    allow_tie = forms.BooleanField(required=False, label="Allow a tie")
    strength = forms.BooleanField(required=False, label="Ask for strength of preference (1–3)")
    criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Optional per-criterion choices, one per line as key: Label "
        "(e.g. helpfulness: Helpfulness).",
    )
    rationale = forms.ChoiceField(choices=TEXT_MODES, label="Rationale")

    def to_config(self):
        d = self.cleaned_data
        return {
            "allow_tie": d["allow_tie"],
            "strength": d["strength"],
            "criteria": _key_labels(d["criteria"]),
            "rationale": d["rationale"],
        }

    @classmethod
    def config_initial(cls, config):
        return {**config, "criteria": _key_labels_text(config.get("criteria"))}


class RankingConfigForm(ConfigForm):
    k = forms.IntegerField(min_value=2, max_value=10, label="Responses per item (k)")
    allow_ties = forms.BooleanField(required=False, label="Allow ties")
    rationale = forms.ChoiceField(choices=TEXT_MODES, label="Rationale")

    def to_config(self):
        d = self.cleaned_data
        return {"k": d["k"], "allow_ties": d["allow_ties"], "rationale": d["rationale"]}


class RubricConfigForm(ConfigForm):
    criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}),
        help_text="One criterion per line: key | Label | min-max | anchors "
        "(e.g. accuracy | Accuracy | 1-5 | 1=Wrong; 5=Fully correct).",
    )
    comments = forms.ChoiceField(choices=TEXT_MODES, label="Comment per criterion")

    def clean_criteria(self):
        criteria = []
        for n, line in enumerate(_lines(self.cleaned_data["criteria"]), start=1):
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 3:
                raise forms.ValidationError(f"Line {n}: give at least key | Label | min-max.")
            lo, _, hi = parts[2].partition("-")
            try:
                scale_min, scale_max = int(lo), int(hi)
            except ValueError:
                raise forms.ValidationError(f"Line {n}: the scale looks like 1-5.") from None
            anchors = {}
            for anchor in (parts[3] if len(parts) > 3 else "").split(";"):
                point, sep, text = anchor.partition("=")
                if sep and point.strip().isdigit():
                    anchors[point.strip()] = text.strip()
            criteria.append(
                {
                    "key": parts[0],
                    "label": parts[1],
                    "scale_min": scale_min,
                    "scale_max": scale_max,
                    "anchors": anchors,
                }
            )
        return criteria

    def to_config(self):
        return {
            "criteria": self.cleaned_data["criteria"],
            "comments": self.cleaned_data["comments"],
        }

    @classmethod
    def config_initial(cls, config):
        lines = []
        for c in config.get("criteria", []):
            anchors = "; ".join(f"{k}={v}" for k, v in c.get("anchors", {}).items())
            lines.append(
                f"{c['key']} | {c['label']} | {c['scale_min']}-{c['scale_max']} | {anchors}"
            )
        return {**config, "criteria": "\n".join(lines)}


class ClassificationConfigForm(ConfigForm):
    labels = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="One label per line as key: Label."
    )
    multi = forms.BooleanField(required=False, label="Several labels may apply")
    allow_none = forms.BooleanField(required=False, label="Offer “none of these”")

    def to_config(self):
        d = self.cleaned_data
        return {
            "labels": _key_labels(d["labels"]),
            "multi": d["multi"],
            "allow_none": d["allow_none"],
        }

    @classmethod
    def config_initial(cls, config):
        return {**config, "labels": _key_labels_text(config.get("labels"))}


class FreeTextConfigForm(ConfigForm):
    mode = forms.ChoiceField(
        choices=[
            ("demonstration", "Demonstration (write the ideal answer)"),
            ("critique_revision", "Critique, then revise"),
        ]
    )
    min_length = forms.IntegerField(min_value=0, label="Minimum characters")
    max_length = forms.IntegerField(min_value=1, label="Maximum characters")

    def to_config(self):
        d = self.cleaned_data
        return {"mode": d["mode"], "min_length": d["min_length"], "max_length": d["max_length"]}


class TrajectoryConfigForm(ConfigForm):
    max_steps = forms.IntegerField(min_value=1, max_value=500)
    scale_min = forms.IntegerField(min_value=0, max_value=10, label="Step rating from")
    scale_max = forms.IntegerField(min_value=1, max_value=10, label="Step rating to")
    step_comments = forms.ChoiceField(choices=TEXT_MODES, label="Comment per step")

    def to_config(self):
        d = self.cleaned_data
        return {
            "max_steps": d["max_steps"],
            "scale_min": d["scale_min"],
            "scale_max": d["scale_max"],
            "step_comments": d["step_comments"],
        }


CONFIG_FORMS = {
    TaskType.PAIRWISE: PairwiseConfigForm,
    TaskType.RANKING: RankingConfigForm,
    TaskType.RUBRIC: RubricConfigForm,
    TaskType.CLASSIFICATION: ClassificationConfigForm,
    TaskType.FREE_TEXT: FreeTextConfigForm,
    TaskType.TRAJECTORY: TrajectoryConfigForm,
}


def to_minor(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


class TermsForm(forms.Form):
    currency = forms.ChoiceField(choices=Currency.choices)
    pay_per_task = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        label="Pay per task",
        widget=forms.NumberInput(attrs={"step": "0.01", "data-pay": ""}),
    )
    estimated_minutes = forms.IntegerField(
        min_value=1,
        max_value=600,
        label="Estimated minutes per task",
        widget=forms.NumberInput(attrs={"data-minutes": ""}),
    )
    item_count = forms.IntegerField(min_value=0, label="Items", initial=100)
    overlap = forms.IntegerField(
        min_value=1, max_value=50, initial=1, label="Annotations per item (overlap)"
    )
    gold_ratio_percent = forms.DecimalField(
        min_value=0,
        max_value=50,
        decimal_places=1,
        initial=0,
        label="Gold items (%)",
        help_text="Gold items look like any other and are paid like any other.",
    )
    review_window_days = forms.IntegerField(
        min_value=1,
        max_value=MAX_REVIEW_WINDOW_DAYS,
        initial=7,
        help_text=f"Unreviewed work is auto-accepted after this many days "
        f"(at most {MAX_REVIEW_WINDOW_DAYS}).",
    )
    max_tasks_per_expert = forms.IntegerField(min_value=1, required=False)
    deadline = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def to_data(self) -> dict:
        d = self.cleaned_data
        return {
            "currency": d["currency"],
            "pay_per_task_minor": to_minor(d["pay_per_task"]),
            "estimated_minutes": d["estimated_minutes"],
            "item_count": d["item_count"],
            "overlap": d["overlap"],
            "gold_ratio_bps": int(d["gold_ratio_percent"] * 100),
            "review_window_days": d["review_window_days"],
            "max_tasks_per_expert": d["max_tasks_per_expert"],
            "deadline": d["deadline"].isoformat() if d["deadline"] else None,
        }

    @staticmethod
    def initial_from(data: dict) -> dict:
        from django.utils.dateparse import parse_datetime

        initial = {
            k: data.get(k)
            for k in (
                "currency",
                "estimated_minutes",
                "item_count",
                "overlap",
                "review_window_days",
                "max_tasks_per_expert",
            )
        }
        if data.get("pay_per_task_minor"):
            initial["pay_per_task"] = Decimal(data["pay_per_task_minor"]) / 100
        initial["gold_ratio_percent"] = Decimal(data.get("gold_ratio_bps") or 0) / 100
        if data.get("deadline"):
            initial["deadline"] = parse_datetime(data["deadline"])
        return {k: v for k, v in initial.items() if v is not None}


LEVELS = [("", "—"), (1, "Level 1"), (2, "Level 2"), (3, "Level 3")]
REQUIREMENT_ROWS = 3


def _codes(text: str) -> list[str]:
    return [c.strip() for c in (text or "").replace(";", ",").split(",") if c.strip()]


class RequirementsForm(forms.Form):
    languages = forms.CharField(
        required=False,
        help_text="Two-letter codes, comma-separated (e.g. en, de). Experts need all.",
    )
    countries_allow = forms.CharField(
        required=False,
        label="Only these countries",
        help_text="Two-letter codes; empty means any country.",
    )
    countries_deny = forms.CharField(required=False, label="Not these countries")

    def __init__(self, *args, domain_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *domain_choices]
        for i in range(REQUIREMENT_ROWS):
            self.fields[f"domain_{i}"] = forms.TypedChoiceField(
                choices=choices,
                coerce=int,
                required=False,
                empty_value=None,
                label=f"Domain {i + 1}",
            )
            self.fields[f"level_{i}"] = forms.TypedChoiceField(
                choices=LEVELS,
                coerce=int,
                required=False,
                empty_value=None,
                label="Minimum level",
            )

    def domain_rows(self):
        return [(self[f"domain_{i}"], self[f"level_{i}"]) for i in range(REQUIREMENT_ROWS)]

    def clean(self):
        d = super().clean()
        for i in range(REQUIREMENT_ROWS):
            if d.get(f"domain_{i}") and not d.get(f"level_{i}"):
                self.add_error(f"level_{i}", "Choose the minimum level.")
        return d

    def to_data(self) -> dict:
        d = self.cleaned_data
        return {
            "domains": [
                {"domain_id": d[f"domain_{i}"], "min_level": d[f"level_{i}"]}
                for i in range(REQUIREMENT_ROWS)
                if d.get(f"domain_{i}")
            ],
            "languages": [c.lower() for c in _codes(d["languages"])],
            "countries_allow": [c.upper() for c in _codes(d["countries_allow"])],
            "countries_deny": [c.upper() for c in _codes(d["countries_deny"])],
        }

    @staticmethod
    def initial_from(data: dict) -> dict:
        initial = {
            "languages": ", ".join(data.get("languages", [])),
            "countries_allow": ", ".join(data.get("countries_allow", [])),
            "countries_deny": ", ".join(data.get("countries_deny", [])),
        }
        for i, req in enumerate(data.get("domains", [])[:REQUIREMENT_ROWS]):
            initial[f"domain_{i}"] = req["domain_id"]
            initial[f"level_{i}"] = req["min_level"]
        return initial


class InviteSearchForm(forms.Form):
    domain = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    min_level = forms.TypedChoiceField(choices=LEVELS, coerce=int, required=False, empty_value=None)
    language = forms.CharField(required=False, max_length=2)
    min_weekly_hours = forms.IntegerField(
        required=False, min_value=1, label="Available at least (h/week)"
    )

    def __init__(self, *args, domain_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [("", "Any required domain"), *domain_choices]


class JobFilterForm(forms.Form):
    domain = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    task_type = forms.ChoiceField(
        choices=[("", "Any task type"), *TaskType.choices], required=False
    )
    min_hourly = forms.DecimalField(
        required=False, min_value=0, decimal_places=2, label="Minimum per hour"
    )

    def __init__(self, *args, domain_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [("", "Any domain"), *domain_choices]


class ApplyForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
        help_text="Why you are a good fit (optional).",
    )
