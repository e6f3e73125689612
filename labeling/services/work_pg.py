"""The claim and submit hot paths as a few hand-written PostgreSQL statements.

The ORM versions in `work.py` take 8 statements per claim and 7 per submit, and compiling them
cost more CPU than running them. Here a claim is: lock the expert's stats row, then one
statement (CTEs) that returns the live lease or picks an item (SKIP LOCKED), takes its slot,
inserts the lease and bumps the counters. A submit of a regular item is: lock the lease, then
one statement that ends it, stores the annotation and bumps the counters. Same locks in the
same order as the ORM versions; `work.py` keeps those for SQLite (the demo) and gold items.

Every function here is called inside the caller's transaction.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache

from django.db import connection

from accounts.models import User
from core.rawsql import Columns, hot_cursor
from labeling.models import Annotation, Assignment, Item, LabelingConfig
from marketplace.models import Project

_LOCK_STATS = """
SELECT id, tasks_claimed, suspended_at, suspension_reason
FROM labeling_expertprojectstats
WHERE project_id = %s AND expert_id = %s
FOR UPDATE
"""

# "OFFSET 0" keeps each NOT EXISTS a per-item probe of the unique (item, expert) index. Without
# it PostgreSQL turns them into anti joins and, when its statistics still think the expert has
# done next to nothing (every expert who worked since the last ANALYZE), materializes all of the
# expert's assignments and compares each scanned item with each of them: a claim then cost
# O(history x items scanned), 12 ms for an expert 650 tasks in (bench/labeling.py, 1 client).
#
# Runs after the stats row lock is held, so its snapshot sees every lease this expert's earlier
# claims committed. `live`: the expert's current lease; otherwise (when allowed to pick) a gold
# item when the draw asked for one, else the best open regular item, locked with SKIP LOCKED so
# racing experts never wait on each other. open_slots only changes on a row this locks.
_CLAIM = """
WITH live AS (
    SELECT a.id FROM labeling_assignment a
    WHERE a.project_id = %(project)s AND a.expert_id = %(expert)s AND a.status = 'leased'
      AND a.lease_expires_at > %(now)s
    ORDER BY a.leased_at DESC, a.id DESC
    LIMIT 1
), gold AS (
    SELECT i.id, i.payload FROM labeling_item i
    WHERE %(want_gold)s AND %(may_pick)s AND NOT EXISTS (SELECT 1 FROM live)
      AND i.project_id = %(project)s AND i.is_gold AND NOT i.gold_retired
      AND NOT EXISTS (
          SELECT 1 FROM labeling_assignment u WHERE u.item_id = i.id AND u.expert_id = %(expert)s
          OFFSET 0
      )
      -- Gold only while regular work is left for this expert: a task that came after a "no
      -- task" answer would otherwise be known to be gold.
      AND EXISTS (
          SELECT 1 FROM labeling_item r
          WHERE r.project_id = %(project)s AND NOT r.is_gold AND r.open_slots > 0
            AND NOT EXISTS (
                SELECT 1 FROM labeling_assignment u
                WHERE u.item_id = r.id AND u.expert_id = %(expert)s
                OFFSET 0
            )
      )
    ORDER BY i.id
    LIMIT 1
), regular AS (
    SELECT i.id FROM labeling_item i
    WHERE %(may_pick)s AND NOT EXISTS (SELECT 1 FROM live) AND NOT EXISTS (SELECT 1 FROM gold)
      AND i.project_id = %(project)s AND NOT i.is_gold AND i.open_slots > 0
      AND NOT EXISTS (
          SELECT 1 FROM labeling_assignment u WHERE u.item_id = i.id AND u.expert_id = %(expert)s
          OFFSET 0
      )
    ORDER BY i.priority DESC, i.id
    LIMIT 1
    FOR UPDATE OF i SKIP LOCKED
), taken AS (
    UPDATE labeling_item SET open_slots = open_slots - 1
    WHERE id = (SELECT id FROM regular)
    RETURNING id, payload
), picked AS (
    SELECT id, payload, true AS is_gold FROM gold
    UNION ALL
    SELECT id, payload, false FROM taken
), lease AS (
    INSERT INTO labeling_assignment
        (project_id, item_id, expert_id, status, is_gold, leased_at, lease_expires_at)
    SELECT %(project)s, id, %(expert)s, 'leased', is_gold, %(now)s, %(expires)s FROM picked
    RETURNING id, item_id, is_gold, leased_at, lease_expires_at
), counted AS (
    UPDATE labeling_expertprojectstats
    SET tasks_claimed = tasks_claimed + 1,
        gold_served = gold_served + (SELECT count(*) FROM lease WHERE is_gold),
        updated_at = %(now)s
    WHERE id = %(stats)s AND EXISTS (SELECT 1 FROM lease)
)
SELECT l.id, l.item_id, l.is_gold, 'leased', l.leased_at, l.lease_expires_at, NULL::jsonb,
       NULL::timestamptz, p.payload
FROM lease l JOIN picked p ON p.id = l.item_id
UNION ALL
SELECT a.id, a.item_id, a.is_gold, a.status, a.leased_at, a.lease_expires_at, a.draft,
       a.draft_saved_at, i.payload
FROM live JOIN labeling_assignment a ON a.id = live.id JOIN labeling_item i ON i.id = a.item_id
"""


@cache
def _lease_columns() -> tuple[str, list[Columns]]:
    a, i, p = Columns(Assignment, "a"), Columns(Item, "i"), Columns(Project, "p")
    c = Columns(LabelingConfig, "c")
    # Column lists come from the models, never from input.
    sql = f"""
SELECT {a.sql}, {i.sql}, {p.sql}, {c.sql}
FROM labeling_assignment a
JOIN labeling_item i ON i.id = a.item_id
JOIN marketplace_project p ON p.id = a.project_id
LEFT JOIN labeling_labelingconfig c ON c.project_id = p.id
WHERE a.id = %s AND a.expert_id = %s
FOR UPDATE OF a
"""  # noqa: S608
    return sql, [a, i, p, c]


def assignment_lock(*, assignment_id: int, expert: User) -> Assignment | None:
    """The expert's assignment with its item, project and the project's labeling config (as
    select_related would), the assignment row locked."""
    sql, columns = _lease_columns()
    with hot_cursor() as cursor:
        cursor.execute(sql, [assignment_id, expert.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    parts, start = [], 0
    for cols in columns:
        parts.append(row[start : start + len(cols.names)])
        start += len(cols.names)
    a, i, p, c = columns
    assignment = a.build(parts[0])
    assignment.item = i.build(parts[1])
    assignment.project = p.build(parts[2])
    config = c.build(parts[3]) if parts[3][0] is not None else None
    Project.labeling_config.related.set_cached_value(assignment.project, config)
    assignment.expert = expert
    return assignment


def _json(text: str | None):
    return None if text is None else json.loads(text)


def stats_lock(*, project: Project, expert: User) -> tuple | None:
    """(id, tasks_claimed, suspended_at, suspension_reason) of the locked row, or None."""
    with hot_cursor() as cursor:
        cursor.execute(_LOCK_STATS, [project.pk, expert.pk])
        return cursor.fetchone()


def claim_params(
    *,
    project: Project,
    expert: User,
    stats_id: int,
    now: datetime,
    expires: datetime,
    want_gold: bool = False,
    may_pick: bool = True,
) -> dict:
    """The parameters of _CLAIM (also for EXPLAIN in the benchmark and the plan test)."""
    return {
        "project": project.pk,
        "expert": expert.pk,
        "stats": stats_id,
        "now": now,
        "expires": expires,
        "want_gold": want_gold,
        "may_pick": may_pick,
    }


def claim(
    *,
    project: Project,
    expert: User,
    stats_id: int,
    now: datetime,
    expires: datetime,
    want_gold: bool,
    may_pick: bool,
) -> Assignment | None:
    """Called while holding the expert's stats row lock. The live lease, else a new one (when
    `may_pick`), else None."""
    with hot_cursor() as cursor:
        cursor.execute(
            _CLAIM,
            claim_params(
                project=project,
                expert=expert,
                stats_id=stats_id,
                now=now,
                expires=expires,
                want_gold=want_gold,
                may_pick=may_pick,
            ),
        )
        row = cursor.fetchone()
    if row is None:
        return None
    lease_id, item_id, is_gold, status, leased_at, expires_at, draft, draft_saved_at, payload = row
    item = Item.from_db(
        connection.alias,
        ["id", "project_id", "payload", "is_gold"],
        [item_id, project.pk, _json(payload), is_gold],
    )
    item.project = project
    # By name, not by position: from_db given every field would ignore the names and follow
    # the model's field order.
    assignment = Assignment(
        id=lease_id,
        project_id=project.pk,
        item_id=item_id,
        expert_id=expert.pk,
        status=status,
        is_gold=is_gold,
        leased_at=leased_at,
        lease_expires_at=expires_at,
        finished_at=None,
        draft=_json(draft),
        draft_saved_at=draft_saved_at,
    )
    assignment._state.adding = False
    assignment._state.db = connection.alias
    assignment.item = item
    assignment.project = project
    assignment.expert = expert
    return assignment


_SUBMIT = """
WITH done AS (
    UPDATE labeling_assignment SET status = 'submitted', finished_at = %(now)s, draft = NULL
    WHERE id = %(assignment)s
    RETURNING id
), counted AS (
    UPDATE labeling_item SET submitted_count = submitted_count + 1 WHERE id = %(item)s
), stats AS (
    UPDATE labeling_expertprojectstats
    SET tasks_submitted = tasks_submitted + 1, updated_at = %(now)s
    WHERE project_id = %(project)s AND expert_id = %(expert)s
    RETURNING suspended_at
)
INSERT INTO labeling_annotation
    (assignment_id, project_id, item_id, expert_id, response, active_seconds, submitted_at,
     review_status, rejection_reason, auto_accepted, review_due_at)
SELECT done.id, %(project)s, %(item)s, %(expert)s, %(response)s::jsonb, %(active)s, %(now)s,
       CASE WHEN EXISTS (SELECT 1 FROM stats WHERE suspended_at IS NOT NULL)
            THEN 'held' ELSE 'pending' END,
       '', false, %(due)s
FROM done
RETURNING id, review_status, (SELECT count(*) FROM stats)
"""


def submit_regular(
    *,
    assignment: Assignment,
    expert: User,
    response,
    active_seconds: int,
    now: datetime,
    review_due_at: datetime,
) -> tuple[Annotation, bool]:
    """Called while holding the assignment's row lock, for a live lease on a regular (not gold)
    item. Returns the annotation and whether the expert's stats row was counted (False: it does
    not exist yet; the caller creates it)."""
    with hot_cursor() as cursor:
        cursor.execute(
            _SUBMIT,
            {
                "assignment": assignment.pk,
                "item": assignment.item_id,
                "project": assignment.project_id,
                "expert": expert.pk,
                "response": json.dumps(response),
                "active": active_seconds,
                "now": now,
                "due": review_due_at,
            },
        )
        annotation_id, review_status, stats_rows = cursor.fetchone()
    assignment.status = Assignment.Status.SUBMITTED
    assignment.finished_at = now
    assignment.draft = None
    annotation = Annotation(
        id=annotation_id,
        assignment=assignment,
        project=assignment.project,
        item=assignment.item,
        expert=expert,
        response=response,
        active_seconds=active_seconds,
        submitted_at=now,
        review_status=review_status,
        review_due_at=review_due_at,
    )
    annotation._state.adding = False
    annotation._state.db = connection.alias
    return annotation, bool(stats_rows)
