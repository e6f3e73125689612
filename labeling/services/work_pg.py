"""The claim and submit hot paths as a few hand-written PostgreSQL statements.

The ORM versions in `work.py` take 8 statements per claim and 7 per submit, and compiling them
cost more CPU than running them. Here a claim is one statement (CTEs), its own transaction: it
locks the expert's stats row, returns the live lease or picks an item (SKIP LOCKED), takes its
slot, inserts the lease and bumps the counters. A submit of a regular item is: read the lease
(unlocked), check the response, then one statement, its own transaction, that ends the lease if
it is still live, stores the annotation and bumps the counters. `work.py` keeps the ORM versions
for SQLite (the demo), gold items and every path that is not the common one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db import DEFAULT_DB_ALIAS

from accounts.models import User
from core.rawsql import Columns, hot_cursor
from labeling.models import Annotation, Assignment, Item, LabelingConfig
from labeling.models.items import default_lease_minutes
from marketplace.models import Project

BPS = 10_000

# One statement, run in autocommit: it is its own transaction. It reads the project (and its
# labeling config), locks the expert's stats row (serialising one expert's claims), then returns
# the live lease or picks an item. Nothing is leased unless the project is live and not
# spend-blocked, the expert not suspended and (for a new lease) under the project's task limit.
#
# Freshness: a statement reads everything but the rows it locks as of its start. A claim that
# waited for the stats row lock (the same expert claiming in two tabs) would not see the lease
# the other claim just committed. Every change to an expert's assignments in a project
# (claim, release, expiry, submit, suspension) also updates their stats row, so the statement
# compares the row it locked (the newest version) with the row its snapshot sees; when they
# differ it does nothing and reports `fresh = false`, and the caller runs it again.
#
# "OFFSET 0" keeps each NOT EXISTS a per-item probe of the unique (item, expert) index. Without
# it PostgreSQL turns them into anti joins and, when its statistics still think the expert has
# done next to nothing (every expert who worked since the last ANALYZE), materializes all of the
# expert's assignments and compares each scanned item with each of them: a claim then cost
# O(history x items scanned), 12 ms for an expert 650 tasks in (bench/labeling.py, 1 client).
#
# `live`: the expert's current lease; otherwise (when allowed to pick) a gold item when the draw
# (0..9999, drawn per claim) falls under the project's gold ratio, else the best open regular
# item, locked with SKIP LOCKED so racing experts never wait on each other. open_slots only
# changes on a row this locks. One row always comes back: the project's columns (NULL when there
# is no such project), then the claim's state (NULL when the expert has no stats row yet), then
# the lease (NULL when none).
_CLAIM_TEMPLATE = """
WITH proj AS MATERIALIZED (
    SELECT {project_columns},
           COALESCE(c.lease_minutes, %(default_lease)s) AS claim_lease_minutes,
           p.status = 'live' AND NOT p.spend_blocked AS claim_open
    FROM marketplace_project p LEFT JOIN labeling_labelingconfig c ON c.project_id = p.id
    WHERE p.id = %(project)s
), seen AS MATERIALIZED (
    SELECT s.id, s.xmin::text AS version FROM labeling_expertprojectstats s
    WHERE s.project_id = %(project)s AND s.expert_id = %(expert)s
), locked AS MATERIALIZED (
    SELECT s.id, s.xmin::text AS version, s.tasks_claimed, s.suspended_at, s.suspension_reason
    FROM labeling_expertprojectstats s
    WHERE s.project_id = %(project)s AND s.expert_id = %(expert)s
    FOR UPDATE
), state AS MATERIALIZED (
    SELECT l.id, l.suspended_at, l.suspension_reason, l.version = seen.version AS fresh,
           l.version = seen.version AND l.suspended_at IS NULL AND proj.claim_open AS go,
           (COALESCE(proj.max_tasks_per_expert, 0) = 0
            OR l.tasks_claimed < proj.max_tasks_per_expert) AS may_pick,
           %(draw)s < proj.gold_ratio_bps AS want_gold,
           %(now)s + make_interval(mins => proj.claim_lease_minutes) AS expires
    FROM locked l JOIN seen ON seen.id = l.id CROSS JOIN proj
), live AS (
    SELECT a.id FROM labeling_assignment a
    WHERE (SELECT go FROM state)
      AND a.project_id = %(project)s AND a.expert_id = %(expert)s AND a.status = 'leased'
      AND a.lease_expires_at > %(now)s
    ORDER BY a.leased_at DESC, a.id DESC
    LIMIT 1
), gold AS (
    SELECT i.id, i.payload FROM labeling_item i
    WHERE (SELECT go AND may_pick AND want_gold FROM state) AND NOT EXISTS (SELECT 1 FROM live)
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
    WHERE (SELECT go AND may_pick FROM state)
      AND NOT EXISTS (SELECT 1 FROM live) AND NOT EXISTS (SELECT 1 FROM gold)
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
    SELECT %(project)s, id, %(expert)s, 'leased', is_gold, %(now)s, (SELECT expires FROM state)
    FROM picked
    RETURNING id, item_id, is_gold, leased_at, lease_expires_at
), counted AS (
    UPDATE labeling_expertprojectstats
    SET tasks_claimed = tasks_claimed + 1,
        gold_served = gold_served + (SELECT count(*) FROM lease WHERE is_gold),
        updated_at = %(now)s
    WHERE id = (SELECT id FROM state) AND EXISTS (SELECT 1 FROM lease)
), result AS (
    SELECT l.id, l.item_id, l.is_gold, 'leased' AS status, l.leased_at, l.lease_expires_at,
           NULL::jsonb AS draft, NULL::timestamptz AS draft_saved_at, p.payload
    FROM lease l JOIN picked p ON p.id = l.item_id
    UNION ALL
    SELECT a.id, a.item_id, a.is_gold, a.status, a.leased_at, a.lease_expires_at, a.draft,
           a.draft_saved_at, i.payload
    FROM live JOIN labeling_assignment a ON a.id = live.id JOIN labeling_item i ON i.id = a.item_id
)
SELECT {proj_columns},
       st.fresh, st.suspended_at IS NOT NULL, st.suspension_reason, st.may_pick,
       r.id, r.item_id, r.is_gold, r.status, r.leased_at, r.lease_expires_at, r.draft,
       r.draft_saved_at, r.payload
FROM (SELECT 1) one
LEFT JOIN proj ON true LEFT JOIN state st ON true LEFT JOIN result r ON true
"""


@cache
def _claim_statement() -> tuple[str, Columns]:
    """_CLAIM_TEMPLATE with the project's columns (from the model, never from input)."""
    project = Columns(Project, "proj")
    sql = _CLAIM_TEMPLATE.format(
        project_columns=Columns(Project, "p").sql, proj_columns=project.sql
    )
    return sql, project


@cache
def _lease_columns(lock: bool) -> tuple[str, list[Columns]]:
    a, i, p = Columns(Assignment, "a"), Columns(Item, "i"), Columns(Project, "p")
    c = Columns(LabelingConfig, "c")
    # Column lists come from the models, never from input.
    sql = f"""
SELECT {a.sql}, {i.sql}, {p.sql}, {c.sql},
       EXISTS (SELECT 1 FROM labeling_expertprojectstats s
               WHERE s.project_id = a.project_id AND s.expert_id = a.expert_id)
FROM labeling_assignment a
JOIN labeling_item i ON i.id = a.item_id
JOIN marketplace_project p ON p.id = a.project_id
LEFT JOIN labeling_labelingconfig c ON c.project_id = p.id
WHERE a.id = %s AND a.expert_id = %s
"""  # noqa: S608
    return sql + ("FOR UPDATE OF a" if lock else ""), [a, i, p, c]


def assignment_get(
    *, assignment_id: int, expert: User, lock: bool = True
) -> tuple[Assignment, bool] | None:
    """The expert's assignment with its item, project and the project's labeling config (as
    select_related would), the assignment row locked unless `lock` is false; and whether the
    expert has a stats row in the project."""
    sql, columns = _lease_columns(lock)
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
    return assignment, row[-1]


def _json(text: str | None):
    return None if text is None else json.loads(text)


def claim_params(*, project_id: int, expert: User, now: datetime, draw: int = BPS) -> dict:
    """The parameters of the claim statement (also for EXPLAIN in the benchmark and the plan
    test). `draw`: 0..9999, gold when under the project's gold ratio (the default never is)."""
    return {
        "project": project_id,
        "expert": expert.pk,
        "now": now,
        "draw": draw,
        "default_lease": default_lease_minutes(),
    }


def claim_sql() -> str:
    return _claim_statement()[0]


class Stale(Exception):
    """The expert's stats row changed after the claim statement's snapshot: run it again."""


@dataclass(frozen=True)
class ClaimOutcome:
    project: Project | None  # None: no such project
    has_stats: bool  # False: the expert has no stats row in the project yet
    suspended: bool = False
    suspension_reason: str = ""
    may_pick: bool = False
    assignment: Assignment | None = None


def claim(*, project_id: int, expert: User, now: datetime, draw: int) -> ClaimOutcome:
    """Run the claim statement once (outside a transaction it is one). Raises Stale when it has
    to run again."""
    sql, project_columns = _claim_statement()
    with hot_cursor() as cursor:
        cursor.execute(sql, claim_params(project_id=project_id, expert=expert, now=now, draw=draw))
        row = cursor.fetchone()
    n = len(project_columns.names)
    if row[0] is None:
        return ClaimOutcome(project=None, has_stats=False)
    project = project_columns.build(row[:n])
    fresh, suspended, reason, may_pick, lease_id, *lease = row[n:]
    if fresh is None:
        return ClaimOutcome(project=project, has_stats=False)
    if not fresh:
        raise Stale()
    if lease_id is None:
        return ClaimOutcome(project, True, suspended, reason or "", may_pick)
    item_id, is_gold, status, leased_at, expires_at, draft, draft_saved_at, payload = lease
    item = Item.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "project_id", "payload", "is_gold"],
        [item_id, project_id, _json(payload), is_gold],
    )
    item.project = project
    # By name, not by position: from_db given every field would ignore the names and follow
    # the model's field order.
    assignment = Assignment(
        id=lease_id,
        project_id=project_id,
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
    assignment._state.db = DEFAULT_DB_ALIAS
    assignment.item = item
    assignment.project = project
    assignment.expert = expert
    return ClaimOutcome(project, True, False, "", may_pick, assignment)


_SUBMIT = """
WITH done AS (
    UPDATE labeling_assignment SET status = 'submitted', finished_at = %(now)s, draft = NULL
    WHERE id = %(assignment)s AND expert_id = %(expert)s AND status = 'leased'
      AND lease_expires_at > %(now)s
    RETURNING id
), counted AS (
    UPDATE labeling_item SET submitted_count = submitted_count + 1
    WHERE id = %(item)s AND EXISTS (SELECT 1 FROM done)
), stats AS (
    UPDATE labeling_expertprojectstats
    SET tasks_submitted = tasks_submitted + 1, updated_at = %(now)s
    WHERE project_id = %(project)s AND expert_id = %(expert)s AND EXISTS (SELECT 1 FROM done)
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
RETURNING id, review_status
"""


def submit_regular(
    *,
    assignment: Assignment,
    expert: User,
    response,
    active_seconds: int,
    now: datetime,
    review_due_at: datetime,
) -> Annotation | None:
    """For a regular (not gold) item's lease, read unlocked, whose expert has a stats row in the
    project. The stored annotation, or None when the lease was no longer live."""
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
        row = cursor.fetchone()
    if row is None:
        return None
    annotation_id, review_status = row
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
    annotation._state.db = DEFAULT_DB_ALIAS
    return annotation
