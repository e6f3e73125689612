"""The expert's workspace: one task at a time, instructions beside the item, keyboard first.

`GET /work/projects/<id>/` claims (or resumes) the expert's task and redirects to
`/work/tasks/<task id>/`, which renders the item and a response form generated from the
project's task type and configuration. Everything after the first paint (lease timer, active
time, draft autosave, submit-and-next, release/skip) is static/js/workspace.js talking to the
task API (labeling/api/work.py).

Gold secrecy: the page is rendered from the assignment id, the item payload and the project
only; nothing in the template context says whether the item is gold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import User
from core.exceptions import DomainError, NotFound
from labeling import services
from labeling.exceptions import ExpertSuspended, NoTaskAvailable, TaskLimitReached
from labeling.selectors import work as work_selectors
from marketplace.exceptions import NotEligible
from marketplace.markdown import render_markdown
from marketplace.models import Project, ProjectStatus
from marketplace.task_types import task_type

MY_WORK_PAGE_SIZE = 25
TIE_LABEL = "Tie"
STRENGTHS = [(1, "Slightly better"), (2, "Clearly better"), (3, "Much better")]
SUCCESS = [("success", "Success"), ("partial", "Partial"), ("failure", "Failure")]


def _expert(request) -> User:
    if request.user.kind != User.Kind.EXPERT:
        raise PermissionDenied("The workspace is for experts.")
    return request.user


# --- Pages -----------------------------------------------------------------------------------


@login_required
def workspace_project(request, project_id: int):
    """Claim the next task (or resume the live one) and open it."""
    expert = _expert(request)
    project = get_object_or_404(Project, pk=project_id, status=ProjectStatus.LIVE)
    try:
        assignment = services.task_claim(project=project, expert=expert)
    except NoTaskAvailable:
        return _notice(request, project, "no_task", status=200)
    except TaskLimitReached:
        return _notice(request, project, "limit", status=200)
    except ExpertSuspended as exc:
        return _notice(request, project, "suspended", status=403, reason=exc.message)
    except NotEligible as exc:
        return _notice(request, project, "ineligible", status=403, reason=exc.message)
    except DomainError as exc:
        if exc.code == "needs_opt_in":
            messages.info(request, "This project has a content warning: read it before you start.")
            return redirect("marketplace:job", project_id=project.pk)
        return _notice(request, project, "blocked", status=exc.status_code, reason=exc.message)
    return redirect("workspace_task", task_id=assignment.pk)


@login_required
def workspace_task(request, task_id: int):
    expert = _expert(request)
    try:
        assignment = work_selectors.assignment_get_for_expert(expert=expert, assignment_id=task_id)
    except NotFound:
        raise Http404 from None
    if not assignment.is_live:
        # Submitted, released or expired: carry on with the project's next task.
        return redirect("workspace_project", project_id=assignment.project_id)
    project = assignment.project
    return render(request, "labeling/workspace.html", _task_context(assignment, project))


@login_required
def my_work(request):
    expert = _expert(request)
    page = Paginator(
        work_selectors.annotations_for_expert_with_appeals(expert=expert), MY_WORK_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    appeal_url = _appeal_url_builder()
    suspension_url = _suspension_appeal_url_builder()
    suspensions = work_selectors.suspensions_for_expert(expert=expert)
    for stats in suspensions:
        stats.appeal_url = suspension_url(stats.project_id)
    rows = [
        {"annotation": a, "appeal_url": appeal_url(a) if a.review_status == "rejected" else None}
        for a in page.object_list
    ]
    return render(
        request,
        "labeling/my_work.html",
        {
            "leases": work_selectors.live_leases_for_expert(expert=expert),
            "page": page,
            "rows": rows,
            "summaries": work_selectors.project_summaries_for_expert(expert=expert),
            "suspensions": suspensions,
        },
    )


def _notice(request, project: Project, kind: str, *, status: int, reason: str = ""):
    return render(
        request,
        "labeling/workspace_notice.html",
        {
            "project": project,
            "kind": kind,
            "reason": reason,
            "suspension_appeal_url": _suspension_appeal_url_builder()(project.pk)
            if kind == "suspended"
            else None,
        },
        status=status,
    )


def _try_reverse(names: list[str], **kwargs) -> str | None:
    for name in names:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


def _appeal_url_builder():
    """The appeals page (built by the review/appeals work) for one rejected annotation."""

    def build(annotation) -> str | None:
        return _try_reverse(["annotation_appeal"], annotation_id=annotation.pk)

    return build


def _suspension_appeal_url_builder():
    def build(project_id: int) -> str | None:
        return _try_reverse(["my_suspension"], project_id=project_id)

    return build


# --- The task form -----------------------------------------------------------------------------


@dataclass
class Option:
    value: object
    label: str
    key: str = ""  # the keyboard shortcut (a digit), if any
    hint: str = ""


def _keyed(options: list[Option]) -> list[Option]:
    for i, option in enumerate(options[:9]):
        option.key = option.key or str(i + 1)
    return options


def _prompt_messages(prompt) -> list[dict]:
    """A prompt is a string or a list of {role, content} messages."""
    if isinstance(prompt, list):
        return [
            {"role": str(m.get("role", "")), "content": str(m.get("content", ""))}
            for m in prompt
            if isinstance(m, dict)
        ]
    if prompt in (None, ""):
        return []
    return [{"role": "", "content": str(prompt)}]


def _extras(payload: dict, known: set[str]) -> list[tuple[str, str]]:
    """Payload keys the task type does not use, shown as-is under the item (context, metadata)."""
    out = []
    for key, value in payload.items():
        if key in known:
            continue
        text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        out.append((key.replace("_", " "), text))
    return out


def _step_view(step, number: int) -> dict:
    if not isinstance(step, dict):
        return {"number": number, "parts": [("step", str(step))]}
    parts = []
    for key, value in step.items():
        text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        parts.append((key.replace("_", " "), text))
    return {"number": number, "parts": parts}


def _form_spec(task: str, config: dict, payload: dict) -> dict:
    """What the per-type partial needs, precomputed (templates cannot do arithmetic)."""
    if task == "pairwise":
        choices = [Option("a", "A is better", "1"), Option("b", "B is better", "2")]
        if config.get("allow_tie"):
            choices.append(Option("tie", TIE_LABEL, "3"))
        return {
            "prompt": _prompt_messages(payload.get("prompt")),
            "response_a": payload.get("response_a", ""),
            "response_b": payload.get("response_b", ""),
            "extras": _extras(payload, {"prompt", "response_a", "response_b"}),
            "choices": choices,
            "strength": config.get("strength")
            and [Option(v, label, str(v)) for v, label in STRENGTHS],
            "criteria": [
                {
                    "key": c["key"],
                    "label": c["label"],
                    "options": [
                        Option(o.value, o.value.upper() if o.value != "tie" else TIE_LABEL, o.key)
                        for o in choices
                    ],
                }
                for c in config.get("criteria", [])
            ],
            "rationale": config.get("rationale", "none"),
            "rationale_max": config.get("rationale_max_length", 2000),
        }
    if task == "ranking":
        responses = payload.get("responses") or []
        k = config.get("k", len(responses))
        return {
            "prompt": _prompt_messages(payload.get("prompt")),
            "responses": [
                {"index": i, "letter": chr(65 + i), "text": text}
                for i, text in enumerate(responses[:k])
            ],
            "ranks": list(range(1, k + 1)),
            "extras": _extras(payload, {"prompt", "responses"}),
            "rationale": config.get("rationale", "none"),
            "rationale_max": config.get("rationale_max_length", 2000),
        }
    if task == "rubric":
        criteria = []
        for c in config.get("criteria", []):
            anchors = c.get("anchors") or {}
            points = [
                Option(v, str(v), str(v) if v < 10 else "", anchors.get(str(v), ""))
                for v in range(c["scale_min"], c["scale_max"] + 1)
            ]
            criteria.append({**c, "points": points})
        return {
            "prompt": _prompt_messages(payload.get("prompt")),
            "response": payload.get("response", ""),
            "extras": _extras(payload, {"prompt", "response"}),
            "criteria": criteria,
            "comments": config.get("comments", "none"),
            "comment_max": config.get("comment_max_length", 2000),
        }
    if task == "classification":
        labels = [Option(x["key"], x["label"]) for x in config.get("labels", [])]
        if config.get("allow_none"):
            labels.append(Option("none_of_these", "None of these"))
        return {
            "text": payload.get("text", ""),
            "extras": _extras(payload, {"text"}),
            "multi": bool(config.get("multi")),
            "labels": _keyed(labels),
        }
    if task == "free_text":
        critique = config.get("mode") == "critique_revision"
        return {
            "prompt": _prompt_messages(payload.get("prompt")),
            "response": payload.get("response", "") if critique else "",
            "extras": _extras(payload, {"prompt", "response"}),
            "critique": critique,
            "fields": (
                [("critique", "Critique"), ("revision", "Revised response")]
                if critique
                else [("text", "Your response")]
            ),
            "min_length": config.get("min_length", 0),
            "max_length": config.get("max_length", 5000),
        }
    if task == "trajectory":
        max_steps = config.get("max_steps", 50)
        steps = (payload.get("steps") or [])[:max_steps]
        lo, hi = config.get("scale_min", 1), config.get("scale_max", 5)
        return {
            "task": payload.get("task", ""),
            "extras": _extras(payload, {"task", "steps"}),
            "steps": [_step_view(s, i + 1) for i, s in enumerate(steps)],
            "scale": [Option(v, str(v), str(v) if v < 10 else "") for v in range(lo, hi + 1)],
            "step_comments": config.get("step_comments", "none"),
            "success": _keyed([Option(v, label) for v, label in SUCCESS]),
        }
    return {"extras": _extras(payload, set())}


SHORTCUTS = {
    "pairwise": [
        ("1 / 2", "A / B is better"),
        ("3", "Tie (when allowed)"),
        ("1–3", "Strength, once a side is chosen"),
    ],
    "ranking": [("1–9", "Rank of the focused response, then the next")],
    "rubric": [("digits", "Score of the highlighted criterion, then the next")],
    "classification": [("1–9", "Choose (or toggle) a label")],
    "free_text": [],
    "trajectory": [("digits", "Rating of the highlighted step, then the next")],
}
COMMON_SHORTCUTS = [
    ("↑ / ↓", "Previous / next question"),
    ("Enter", "Submit and next (outside text boxes)"),
    ("Ctrl + Enter", "Submit and next (anywhere)"),
]


def _task_context(assignment, project: Project) -> dict:
    kind = task_type(project.task_type)
    config = project.task_config or {}
    payload = assignment.item.payload if isinstance(assignment.item.payload, dict) else {}
    lease_seconds = int((assignment.lease_expires_at - assignment.leased_at).total_seconds())
    return {
        "project": project,
        "task": assignment,
        "kind": kind,
        "config": config,
        "spec": _form_spec(project.task_type, config, payload),
        "form_template": f"labeling/workspace_{project.task_type}.html",
        "instructions_html": render_markdown(project.instructions),
        "how_to_answer": kind.describe(config),
        "shortcuts": SHORTCUTS.get(project.task_type, []) + COMMON_SHORTCUTS,
        "draft_json": json.dumps(assignment.draft) if assignment.draft is not None else "",
        "lease_seconds": lease_seconds,
        "server_now": timezone.now(),
    }
