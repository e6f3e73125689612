"""Shared pieces of the export writers: compact JSON lines and the format registry type."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from labeling.selectors.exports import ExportFilters
from marketplace.models import Project

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
encode = _encoder.encode

Writer = Callable[..., Iterator[str]]


def jsonl(obj) -> str:
    return encode(obj) + "\n"


def iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class ExportFormat:
    name: str  # also the download file name suffix: project-<id>-<name>
    label: str
    content_type: str
    writer: Writer
    task_types: tuple[str, ...] | None = None  # None: every task type
    header_lines: int = 0  # lines that are not rows (CSV header)

    def lines(self, *, project: Project, filters: ExportFilters) -> Iterator[str]:
        return self.writer(project=project, filters=filters)

    def applies_to(self, project: Project) -> bool:
        return self.task_types is None or project.task_type in self.task_types
