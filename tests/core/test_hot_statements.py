"""The task cycle's hand-written statements are prepared once per database connection
(core.rawsql.hot_cursor), and are not where the database options turn preparation off."""

import pytest
from django.db import connection

from core.rawsql import hot_cursor
from labeling.selectors.work import project_get_live
from tests.labeling.factories import add_items, claim_and_submit, live_project

pytestmark = pytest.mark.django_db


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_claim_and_submit_statements_are_prepared_and_reused(organization, expert):
    project = live_project(organization, overlap=2, gold_ratio_bps=0)
    add_items(project, 4)
    for _ in range(3):
        claim_and_submit(project_get_live(project_id=project.pk), expert)

    prepared = _prepared()
    # The live project, the claim, the lease read and the submit: each prepared once, not once
    # per call, with parameters ($1...) instead of values.
    for marker in (
        "WHERE p.id = $1 AND p.status = $2",
        "WITH proj AS",
        "s.expert_id = a.expert_id",
        "INSERT INTO labeling_annotation",
    ):
        matching = [s for s in prepared if marker in s]
        assert len(matching) == 1, marker
        assert "$1" in matching[0] and "%s" not in matching[0] and "%(" not in matching[0]


def test_the_task_api_authenticates_with_a_prepared_token_lookup(api_client, expert):
    from accounts.services import api_token_create

    _, raw = api_token_create(user=expert, name="cli")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for _ in range(2):
        assert api_client.get("/api/v1/me/").status_code == 200
    assert sum("key_hash = $1" in s for s in _prepared()) == 1


def test_without_a_prepare_threshold_nothing_is_prepared(organization, expert):
    connection.ensure_connection()
    raw = connection.connection
    saved = raw.prepare_threshold
    raw.prepare_threshold = None  # as DATABASE_PREPARED_STATEMENTS=0 (or Django's default)
    try:
        with hot_cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [41])
            assert cursor.fetchone() == (42,)
        project = live_project(organization, overlap=2, gold_ratio_bps=0)
        add_items(project, 2)
        claim_and_submit(project, expert)
        assert _prepared() == []
    finally:
        raw.prepare_threshold = saved
