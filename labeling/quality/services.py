"""Quality analytics writes: snapshot computation, judge-verdict import, gold retirement and
rescoring, flag review. One transaction per use case; keyword-only arguments."""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import ExpertProfile, User
from accounts.services import audit_record
from core.exceptions import InvalidState, NotFound, ValidationFailed
from labeling.models import (
    Annotation,
    ExpertProjectStats,
    Item,
    ItemAggregateBlock,
    JudgeUpload,
    JudgeVerdict,
    LabelingConfig,
    QualityFlag,
    QualitySnapshot,
)
from labeling.quality import stats
from labeling.quality.compute import JudgeInput, snapshot_compute
from labeling.quality.encode import project_data_load
from labeling.trust import probability_below, wilson_lower_bound
from marketplace.models import Project
from marketplace.services.projects import check_can_manage, project_validate_response

logger = logging.getLogger(__name__)

ADVISORY_NAMESPACE = 74_101  # pg advisory lock key space for quality snapshots
SNAPSHOTS_KEPT = 100
FLAG_QUIET_DAYS = 30  # a reviewed/dismissed flag is not raised again for this long
MAX_JUDGE_LINES = 200_000
MAX_ERRORS_SHOWN = 50
JUDGE_NAME_MAX = 100


def _n_boot() -> int:
    return int(getattr(settings, "PLUMBLINE_QUALITY_N_BOOT", stats.DEFAULT_N_BOOT))


def _gold_threshold(project: Project) -> float:
    value = (
        LabelingConfig.objects.filter(project=project)
        .values_list("gold_accuracy_threshold", flat=True)
        .first()
    )
    return float(value) if value is not None else 0.7


def _expert_names(expert_ids: np.ndarray) -> dict[int, str]:
    ids = [int(x) for x in expert_ids]
    names = dict(ExpertProfile.objects.filter(user_id__in=ids).values_list("user_id", "pseudonym"))
    return {pk: names.get(pk) or f"Expert #{pk}" for pk in ids}


def _judge_inputs(project: Project) -> list[JudgeInput]:
    grouped: dict[tuple[str, str], list] = defaultdict(list)
    rows = (
        JudgeVerdict.objects.filter(project=project)
        .order_by("judge_name", "item_id")
        .values_list("judge_name", "source", "item_id", "verdict", "swapped_verdict")
    )
    for name, source, item_id, verdict, swapped in rows.iterator(chunk_size=5000):
        grouped[(name, source)].append((item_id, verdict, swapped))
    return [
        JudgeInput(
            name=name,
            source=source,
            item_ids=np.array([r[0] for r in entries], dtype=np.int64),
            verdicts=[r[1] for r in entries],
            swapped=[r[2] for r in entries],
        )
        for (name, source), entries in grouped.items()
    ]


# --- snapshots ------------------------------------------------------------------------------


def _try_lock(project_id: int) -> bool:
    if connection.vendor != "postgresql":
        return True  # the SQLite demo runs one worker process: nothing to race with
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, project_id])
        return bool(cur.fetchone()[0])


def _unlock(project_id: int) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, project_id])


def quality_snapshot_compute(
    *, project_id: int, force: bool = True, n_boot: int | None = None
) -> QualitySnapshot | None:
    """Recompute every quality figure of one project and store a snapshot.

    Deduplicated: a PostgreSQL advisory lock per project means a second run that starts while
    one is computing returns None at once; without `force`, a project with no annotation newer
    than its last snapshot is skipped. The statistics run outside any transaction (reads only);
    the snapshot, its aggregated labels and new flags are written in one transaction.
    """
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound("No such project.")
    if not _try_lock(project_id):
        return None
    try:
        if not force:
            last = (
                QualitySnapshot.objects.filter(project=project)
                .values_list("last_annotation_id", flat=True)
                .first()
            )
            newest = (
                Annotation.objects.filter(project=project)
                .order_by("-id")
                .values_list("id", flat=True)
                .first()
            )
            if last is not None and (newest or 0) <= last:
                return None
        started = time.monotonic()
        now = timezone.now()
        data = project_data_load(project)
        result = snapshot_compute(
            data,
            judges=_judge_inputs(project),
            expert_names=_expert_names(data.expert_ids),
            gold_threshold=_gold_threshold(project),
            now=now,
            n_boot=_n_boot() if n_boot is None else n_boot,
        )
        duration_ms = int((time.monotonic() - started) * 1000)
        result.data["duration_ms"] = duration_ms
        return _snapshot_write(
            project=project, data=data, result=result, now=now, duration_ms=duration_ms
        )
    finally:
        _unlock(project_id)


@transaction.atomic
def _snapshot_write(*, project: Project, data, result, now, duration_ms: int) -> QualitySnapshot:
    snapshot = QualitySnapshot.objects.create(
        project=project,
        computed_at=now,
        n_annotations=data.n_annotations,
        n_items=data.n_items,
        last_annotation_id=data.last_annotation_id,
        duration_ms=duration_ms,
        data=result.data,
    )
    agg = result.aggregates
    size = ItemAggregateBlock.BLOCK_SIZE
    blocks = []
    for seq, start in enumerate(range(0, len(agg.item_ids), size)):
        end = start + size
        blocks.append(
            ItemAggregateBlock(
                snapshot=snapshot,
                project=project,
                seq=seq,
                first_item_id=agg.item_ids[start],
                last_item_id=agg.item_ids[min(end, len(agg.item_ids)) - 1],
                data={
                    "item": agg.item_ids[start:end],
                    "label": agg.labels[start:end],
                    "confidence": agg.confidence[start:end],
                    "criteria_confidence": agg.criteria_confidence[start:end],
                    "method": agg.method[start:end],
                    "n": agg.n[start:end],
                    "majority": agg.majority[start:end],
                    "majority_confidence": agg.majority_confidence[start:end],
                },
            )
        )
    ItemAggregateBlock.objects.filter(project=project).delete()
    ItemAggregateBlock.objects.bulk_create(blocks, batch_size=50)
    _flags_write(project=project, snapshot=snapshot, flags=result.flags, now=now)
    stale = list(
        QualitySnapshot.objects.filter(project=project)
        .order_by("-computed_at", "-id")
        .values_list("id", flat=True)[SNAPSHOTS_KEPT:]
    )
    if stale:
        QualitySnapshot.objects.filter(id__in=stale).delete()
    return snapshot


def _flags_write(*, project: Project, snapshot: QualitySnapshot, flags, now) -> None:
    """Called inside the snapshot transaction. Refreshes the evidence of open flags, opens new
    ones, and stays quiet for FLAG_QUIET_DAYS about what a person already reviewed."""
    if not flags:
        return
    existing = defaultdict(list)
    for flag in QualityFlag.objects.filter(project=project).select_for_update().order_by("id"):
        existing[(flag.expert_id, flag.kind)].append(flag)
    quiet_since = now - timedelta(days=FLAG_QUIET_DAYS)
    for f in flags:
        rows = existing.get((f.expert_id, f.kind), [])
        open_flag = next((r for r in rows if r.status == QualityFlag.Status.OPEN), None)
        if open_flag is not None:
            open_flag.message, open_flag.evidence = f.message, f.evidence
            open_flag.snapshot, open_flag.updated_at = snapshot, now
            open_flag.save(update_fields=["message", "evidence", "snapshot", "updated_at"])
            continue
        if any(r.reviewed_at and r.reviewed_at >= quiet_since for r in rows):
            continue
        flag = QualityFlag.objects.create(
            project=project,
            expert_id=f.expert_id,
            kind=f.kind,
            message=f.message,
            evidence=f.evidence,
            snapshot=snapshot,
            created_at=now,
            updated_at=now,
        )
        audit_record(
            actor=None,
            verb="quality.flag_opened",
            target=flag,
            details={"project": project.pk, "expert": f.expert_id, "kind": f.kind},
        )


def quality_snapshot_enqueue(*, project_id: int, force: bool = True) -> bool:
    """Queue a snapshot computation after the current transaction commits, at most once per
    project while one is queued (a cache key the task clears when it starts)."""
    if not cache.add(f"quality:queued:{project_id}", 1, timeout=15 * 60):
        return False

    def send():
        from labeling.quality.tasks import quality_snapshot_compute_task

        queue = getattr(settings, "PLUMBLINE_QUALITY_QUEUE", None)
        quality_snapshot_compute_task.apply_async(args=[project_id, force], queue=queue)

    transaction.on_commit(send)
    return True


def quality_snapshots_sweep() -> list[int]:
    """Beat: queue a snapshot for every project with annotations newer than its last one."""
    from labeling.quality.selectors import quality_projects_dirty

    project_ids = quality_projects_dirty()
    for project_id in project_ids:
        quality_snapshot_enqueue(project_id=project_id, force=False)
    return project_ids


# --- judge verdicts -------------------------------------------------------------------------


def _line_errors(errors: dict, line: int, messages: list[str]) -> None:
    if len(errors) < MAX_ERRORS_SHOWN:
        errors[f"line {line}"] = messages


def judge_verdicts_import(
    *,
    project: Project,
    user: User,
    content: bytes,
    filename: str = "",
    source: str = JudgeUpload.Source.JUDGE,
    recompute: bool = True,
    request=None,
) -> JudgeUpload:
    """Import a JSONL file of judge verdicts, all or nothing.

    One object per line: {"external_id", "judge", "verdict", "swapped_verdict"?}; verdicts
    must match the project's response schema (swapped verdicts: pairwise only, their choice
    refers to positions as shown). Any bad line rejects the whole file, with the errors keyed
    "line N". A judge's verdict on an item replaces its earlier one.
    """
    check_can_manage(user=user, project=project)
    if source not in JudgeUpload.Source.values:
        raise ValidationFailed(fields={"source": [f"Choose one of {JudgeUpload.Source.values}."]})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The file is not UTF-8 text.") from exc
    parsed: list[tuple[int, dict]] = []
    errors: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        if len(parsed) >= MAX_JUDGE_LINES:
            raise ValidationFailed(f"At most {MAX_JUDGE_LINES} verdicts per file.")
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            _line_errors(errors, number, [f"Not valid JSON: {exc.msg}."])
            continue
        if not isinstance(row, dict):
            _line_errors(errors, number, ["Each line must be a JSON object."])
            continue
        parsed.append((number, row))
    if not parsed and not errors:
        raise ValidationFailed("The file has no verdicts.", fields={"file": ["Empty file."]})
    wanted = {str(r.get("external_id")) for _, r in parsed if r.get("external_id") is not None}
    items = dict(
        Item.objects.filter(project=project, external_id__in=wanted).values_list(
            "external_id", "id"
        )
    )
    rows: dict[tuple[str, int], tuple[int, dict, dict | None]] = {}
    for number, row in parsed:
        messages = []
        unknown = set(row) - {"external_id", "judge", "verdict", "swapped_verdict"}
        if unknown:
            messages.append(f"Unknown keys: {', '.join(sorted(unknown))}.")
        external_id = row.get("external_id")
        item_id = items.get(str(external_id)) if external_id is not None else None
        if external_id is None:
            messages.append("external_id is required.")
        elif item_id is None:
            messages.append(f"No item with external_id {external_id!r} in this project.")
        judge = row.get("judge")
        if not isinstance(judge, str) or not judge.strip() or len(judge) > JUDGE_NAME_MAX:
            messages.append(f"judge must be a name of 1–{JUDGE_NAME_MAX} characters.")
        for key in ("verdict", "swapped_verdict"):
            value = row.get(key)
            if value is None:
                if key == "verdict":
                    messages.append("verdict is required.")
                continue
            if key == "swapped_verdict" and project.task_type != "pairwise":
                messages.append("swapped_verdict is only for pairwise projects.")
                continue
            try:
                project_validate_response(project, value)
            except ValidationFailed as exc:
                detail = "; ".join(f"{p or '/'}: {', '.join(m)}" for p, m in exc.fields.items())
                messages.append(f"{key} does not match the project's response format ({detail}).")
        if not messages and (judge.strip(), item_id) in rows:
            messages.append(f"Second verdict of {judge!r} on {external_id!r} in this file.")
        if messages:
            _line_errors(errors, number, messages)
            continue
        rows[(judge.strip(), item_id)] = (number, row["verdict"], row.get("swapped_verdict"))
    if errors:
        raise ValidationFailed(
            f"The file was not imported: {len(errors)} line(s) have errors"
            + (" (first ones shown)." if len(errors) >= MAX_ERRORS_SHOWN else "."),
            fields=errors,
        )
    with transaction.atomic():
        judges = sorted({judge for judge, _ in rows})
        upload = JudgeUpload.objects.create(
            project=project,
            uploaded_by=user,
            source=source,
            filename=filename[:200],
            n_verdicts=len(rows),
            judges=judges,
        )
        JudgeVerdict.objects.bulk_create(
            [
                JudgeVerdict(
                    project=project,
                    item_id=item_id,
                    judge_name=judge,
                    source=source,
                    verdict=verdict,
                    swapped_verdict=swapped,
                    upload=upload,
                    uploaded_by=user,
                )
                for (judge, item_id), (_, verdict, swapped) in rows.items()
            ],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["project", "judge_name", "item"],
            update_fields=[
                "verdict",
                "swapped_verdict",
                "upload",
                "uploaded_by",
                "source",
                "created_at",
            ],
        )
        audit_record(
            actor=user,
            verb="quality.judge_verdicts_uploaded",
            target=project,
            request=request,
            details={
                "upload": upload.pk,
                "judges": judges,
                "verdicts": len(rows),
                "source": source,
            },
        )
        if recompute:
            quality_snapshot_enqueue(project_id=project.pk)
    return upload


# --- gold retirement and rescoring ----------------------------------------------------------


def gold_rescore(*, project: Project) -> int:
    """Recompute every expert's gold record in the project from their annotations, leaving out
    retired gold items; updates gold_seen, gold_correct, the Wilson lower bound and the
    probability of being under the threshold. Locks the stats rows (in id order, as claims
    do) inside the caller's transaction. Suspensions are not lifted here: an expert whose
    suspension no longer holds appeals (the numbers they see are the rescored ones).
    Returns the number of stats rows changed."""
    threshold = _gold_threshold(project)
    counts = {
        row["expert_id"]: (row["seen"], row["correct"])
        for row in Annotation.objects.filter(
            project=project,
            item__is_gold=True,
            item__gold_retired=False,
            gold_correct__isnull=False,
        )
        .exclude(review_status=Annotation.Review.REJECTED)
        .values("expert_id")
        .annotate(seen=Count("id"), correct=Count("id", filter=Q(gold_correct=True)))
        .order_by()
    }
    changed = 0
    for stats_row in (
        ExpertProjectStats.objects.select_for_update().filter(project=project).order_by("id")
    ):
        seen, correct = counts.get(stats_row.expert_id, (0, 0))
        if (seen, correct) == (stats_row.gold_seen, stats_row.gold_correct):
            continue
        stats_row.gold_seen, stats_row.gold_correct = seen, correct
        stats_row.trust_lower = wilson_lower_bound(correct, seen)
        stats_row.p_below_threshold = probability_below(correct, seen, threshold) if seen else None
        stats_row.save(
            update_fields=[
                "gold_seen",
                "gold_correct",
                "trust_lower",
                "p_below_threshold",
                "updated_at",
            ]
        )
        changed += 1
    return changed


@transaction.atomic
def gold_item_retire(
    *,
    project: Project,
    item_id: int,
    user: User,
    retire: bool = True,
    reason: str = "",
    request=None,
) -> Item:
    """Retire (or restore) a gold item: it is no longer served and no longer counts in anyone's
    gold record (rescored at once). Managers and owners of the project's organization."""
    check_can_manage(user=user, project=project)
    item = Item.objects.select_for_update().filter(project=project, pk=item_id).first()
    if item is None:
        raise NotFound("No such item in this project.")
    if not item.is_gold:
        raise InvalidState("Only gold items can be retired.")
    if item.gold_retired == retire:
        raise InvalidState("The gold item is already " + ("retired." if retire else "active."))
    item.gold_retired = retire
    item.save(update_fields=["gold_retired"])
    changed = gold_rescore(project=project)
    audit_record(
        actor=user,
        verb="quality.gold_retired" if retire else "quality.gold_restored",
        target=item,
        request=request,
        details={"project": project.pk, "reason": reason[:500], "rescored": changed},
    )
    quality_snapshot_enqueue(project_id=project.pk)
    return item


# --- flags ----------------------------------------------------------------------------------


@transaction.atomic
def quality_flag_review(
    *, flag_id: int, project: Project, user: User, status: str, note: str = "", request=None
) -> QualityFlag:
    """Close an open flag as reviewed (action taken elsewhere) or dismissed. Nothing else
    changes: suspensions and rejections are separate, explicit actions."""
    check_can_manage(user=user, project=project)
    flag = QualityFlag.objects.select_for_update().filter(project=project, pk=flag_id).first()
    if flag is None:
        raise NotFound("No such flag.")
    if status not in (QualityFlag.Status.REVIEWED, QualityFlag.Status.DISMISSED):
        raise ValidationFailed(fields={"status": ["Choose reviewed or dismissed."]})
    if flag.status != QualityFlag.Status.OPEN:
        raise InvalidState("This flag was already reviewed.")
    now = timezone.now()
    flag.status, flag.note = status, note[:2000]
    flag.reviewed_by, flag.reviewed_at, flag.updated_at = user, now, now
    flag.save(update_fields=["status", "note", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(
        actor=user,
        verb=f"quality.flag_{status}",
        target=flag,
        request=request,
        details={"project": project.pk, "expert": flag.expert_id, "kind": flag.kind},
    )
    return flag
