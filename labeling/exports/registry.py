"""Every export format, by name (the name is also the download's file suffix)."""

from labeling.exports.annotations import annotations_jsonl
from labeling.exports.annotations_csv import annotations_csv
from labeling.exports.base import ExportFormat
from labeling.exports.hh_rlhf import hh_rlhf_jsonl
from labeling.exports.items import items_jsonl
from labeling.exports.kto import kto_jsonl
from labeling.exports.openai_preference import openai_preference_jsonl
from labeling.exports.rankings import rankings_jsonl
from labeling.exports.trl import trl_conversational_jsonl, trl_jsonl

JSONL = "application/x-ndjson; charset=utf-8"
PAIRWISE = ("pairwise",)

EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("annotations.jsonl", "Raw annotations (JSONL)", JSONL, annotations_jsonl),
        ExportFormat("items.jsonl", "One row per item with all responses", JSONL, items_jsonl),
        ExportFormat("trl.jsonl", "TRL preference (standard)", JSONL, trl_jsonl, PAIRWISE),
        ExportFormat(
            "trl_conversational.jsonl",
            "TRL preference (conversational)",
            JSONL,
            trl_conversational_jsonl,
            PAIRWISE,
        ),
        ExportFormat("hh_rlhf.jsonl", "Anthropic HH-RLHF style", JSONL, hh_rlhf_jsonl, PAIRWISE),
        ExportFormat(
            "openai_preference.jsonl",
            "OpenAI preference fine-tuning",
            JSONL,
            openai_preference_jsonl,
            PAIRWISE,
        ),
        ExportFormat("kto.jsonl", "KTO (prompt, completion, label)", JSONL, kto_jsonl, PAIRWISE),
        ExportFormat("rankings.jsonl", "Rankings", JSONL, rankings_jsonl, ("ranking",)),
        ExportFormat(
            "annotations.csv",
            "Annotations (CSV, spreadsheet-safe)",
            "text/csv; charset=utf-8",
            annotations_csv,
            header_lines=1,
        ),
    )
}


def formats_for(project) -> list[ExportFormat]:
    return [f for f in EXPORT_FORMATS.values() if f.applies_to(project)]
