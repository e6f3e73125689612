import functools

from django.core.exceptions import PermissionDenied
from django.http import Http404

from core.exceptions import NotFound, NotPermitted
from marketplace.markdown import render_markdown
from marketplace.models import Project
from marketplace.task_types import task_type


def job_context(project: Project) -> dict:
    """What the expert sees of a project (shared by the job page and the company preview)."""
    kind = task_type(project.task_type)
    examples = [
        {
            **ex,
            "input_html": render_markdown(ex.get("input", "")),
            "response_json": _pretty(ex.get("response")),
        }
        for ex in project.examples or []
    ]
    return {
        "project": project,
        "instructions_html": render_markdown(project.instructions),
        "examples": examples,
        "kind": kind,
        "how_to_answer": kind.describe(project.task_config),
        "config": project.task_config,
        "item_template": f"marketplace/items/{project.task_type}.html",
        "sample_steps": [1, 2, 3],
        "ranks": range(1, (project.task_config or {}).get("k", 0) + 1),
    }


def _pretty(value) -> str:
    import json

    return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)


def page_errors(view):
    """Turn NotFound / NotPermitted raised by a permission check into 404 / 403 pages."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper
