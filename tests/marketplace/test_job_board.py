"""Experts find the live projects they qualify for; nobody else sees or opens them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace import selectors, services
from tests.conftest import api_as
from tests.factories import ExpertFactory
from tests.marketplace.factories import (
    _owner_of,
    clone_live,
    domain,
    future,
    make_project,
    qualify,
    speak,
)

pytestmark = pytest.mark.django_db


def needs(slug: str, level: int) -> list[dict]:
    return [{"domain_id": domain(slug).pk, "min_level": level}]


def board(user, **params) -> list[dict]:
    response = api_as(user).get("/api/v1/jobs/", params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def ids(rows) -> list[int]:
    return [r["id"] for r in rows]


def test_an_eligible_expert_sees_a_live_project_with_pay_and_company_record(
    organization, cardiologist
):
    project = make_project(organization, status="live", domains=needs("cardiology", 2))
    [row] = board(cardiologist)
    assert row["id"] == project.pk
    assert row["effective_hourly_minor"] == 3000
    assert row["company"] == "Acme AI"
    assert row["company_record"] == {
        "median_review_hours": 0.0,
        "rejection_rate_percent": 0.0,
        "reviewed_count": 0,
    }
    assert row["admission"] == "open"
    assert row["can_work"] is True
    assert row["missing"] == []


def test_an_ineligible_expert_neither_sees_nor_opens_the_project(client, organization, lawyer):
    project = make_project(organization, status="live", domains=needs("cardiology", 1))
    assert board(lawyer) == []
    assert api_as(lawyer).get(f"/api/v1/jobs/{project.pk}/").status_code == 404
    assert api_as(lawyer).post(f"/api/v1/jobs/{project.pk}/apply/", {}).status_code == 404
    client.force_login(lawyer)
    assert client.get(f"/jobs/{project.pk}/").status_code == 404
    assert project.title not in client.get("/jobs/").content.decode()


def test_a_qualification_counts_for_parent_domains_but_not_for_children(organization):
    cardio = ExpertFactory()
    qualify(cardio, "cardiology", 2)
    medic = ExpertFactory()
    qualify(medic, "medicine", 3)
    parent = make_project(organization, status="live", domains=needs("medicine", 2))
    child = make_project(organization, status="live", domains=needs("cardiology", 1))
    assert set(ids(board(cardio))) == {parent.pk, child.pk}
    assert ids(board(medic)) == [parent.pk]


def test_level_too_low_is_within_reach_with_the_reason_but_not_openable(organization, lawyer):
    project = make_project(organization, status="live", domains=needs("law", 2))
    assert board(lawyer) == []
    reach = api_as(lawyer).get("/api/v1/jobs/within-reach/").json()
    assert [r["id"] for r in reach] == [project.pk]
    assert reach[0]["missing"] == ["needs Law level 2"]
    assert reach[0]["can_work"] is False
    assert api_as(lawyer).get(f"/api/v1/jobs/{project.pk}/").status_code == 404


def test_within_reach_never_shows_projects_outside_the_experts_domains(organization, lawyer):
    make_project(organization, status="live", domains=needs("cardiology", 1))
    assert api_as(lawyer).get("/api/v1/jobs/within-reach/").json() == []


def test_expired_and_revoked_qualifications_do_not_count(organization):
    expert = ExpertFactory()
    qualify(expert, "python", 3, expires_at=timezone.now() - timedelta(days=1))
    qualify(expert, "python", 2, revoked_at=timezone.now(), revoked_reason="fraud")
    make_project(organization, status="live", domains=needs("python", 1))
    assert board(expert) == []


def test_language_and_country_rules(organization, cardiologist):
    german = make_project(
        organization, status="live", domains=needs("cardiology", 1), languages=["de"]
    )
    uk_only = make_project(organization, status="live", countries_allow=["GB"])
    us_only = make_project(organization, status="live", countries_allow=["US"])
    not_uk = make_project(organization, status="live", countries_deny=["GB"])
    anywhere = make_project(organization, status="live")
    assert set(ids(board(cardiologist))) == {uk_only.pk, anywhere.pk}
    speak(cardiologist, "de")
    assert set(ids(board(cardiologist))) == {uk_only.pk, anywhere.pk, german.pk}
    assert us_only.pk not in ids(board(cardiologist)) and not_uk.pk not in ids(board(cardiologist))


def test_an_expert_without_a_country_is_not_shown_country_restricted_projects(organization):
    expert = ExpertFactory()
    make_project(organization, status="live", countries_deny=["RU"])
    open_project = make_project(organization, status="live")
    assert ids(board(expert)) == [open_project.pk]


def test_only_live_projects_before_their_deadline_are_listed(organization, cardiologist):
    live = make_project(organization, status="live")
    for status in ["draft", "funded", "paused", "completed", "cancelled"]:
        make_project(organization, status=status)
    expired = make_project(organization, status="live")
    from marketplace.models import Project

    Project.objects.filter(pk=expired.pk).update(deadline=timezone.now() - timedelta(hours=1))
    assert ids(board(cardiologist)) == [live.pk]


def test_board_is_ranked_by_hourly_rate_boosted_by_fit(organization, cardiologist):
    low = make_project(organization, status="live", pay_per_task_minor=300)  # 18/h
    high = make_project(organization, status="live", pay_per_task_minor=800)  # 48/h
    # 30/h requiring the expert's own specialty ranks above 32/h that needs only the parent.
    specialty = make_project(
        organization, status="live", pay_per_task_minor=500, domains=needs("cardiology", 1)
    )
    parent = make_project(
        organization, status="live", pay_per_task_minor=533, domains=needs("medicine", 1)
    )
    rows = board(cardiologist)
    assert ids(rows) == [high.pk, specialty.pk, parent.pk, low.pk]
    assert rows[1]["fit"] == 1 and rows[2]["fit"] == 0


def test_board_filters_by_domain_task_type_and_hourly_rate(organization, cardiologist):
    cardio = make_project(
        organization, status="live", domains=needs("cardiology", 1), pay_per_task_minor=300
    )
    ranking = make_project(
        organization, status="live", task_type="ranking", pay_per_task_minor=1000
    )
    assert ids(board(cardiologist, domain=domain("medicine").pk)) == [cardio.pk]
    assert ids(board(cardiologist, task_type="ranking")) == [ranking.pk]
    assert ids(board(cardiologist, min_hourly="50.00")) == [ranking.pk]
    assert ids(board(cardiologist, min_hourly="18.00")) == [ranking.pk, cardio.pk]


def test_company_record_comes_from_the_stats_labeling_reports(organization, cardiologist):
    make_project(organization, status="live")
    services.organization_stats_update(
        organization=organization,
        median_review_seconds=5400,
        rejection_rate_bps=325,
        reviewed_count=40,
    )
    [row] = board(cardiologist)
    assert row["company_record"] == {
        "median_review_hours": 1.5,
        "rejection_rate_percent": 3.2,
        "reviewed_count": 40,
    }


def test_the_job_board_runs_in_a_constant_number_of_queries(
    organization, other_organization, cardiologist, django_assert_num_queries
):
    """5 live projects or 500: the same number of queries for one expert's board."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = make_project(
        organization,
        status="live",
        domains=needs("cardiology", 1),
        languages=["en"],
        countries_deny=["FR"],
    )
    # Paid more, so invite-only projects under a content warning are on the first page in
    # both cases (their admission and opt-in rows are loaded too).
    second = make_project(
        other_organization,
        status="live",
        visibility="invite_only",
        content_warning="violence",
        pay_per_task_minor=800,
    )
    clone_live(first, 2)
    clone_live(second, 1)
    api = api_as(cardiologist)
    with CaptureQueriesContext(connection) as small:
        assert api.get("/api/v1/jobs/").json()["count"] == 5
    clone_live(first, 300)
    clone_live(second, 195)
    with django_assert_num_queries(len(small.captured_queries)):
        response = api.get("/api/v1/jobs/")
    assert response.json()["count"] == 500
    assert len(response.json()["results"]) == 50


def test_the_sql_filters_agree_with_the_eligibility_selector(organization, other_organization):
    """The board's SQL pre-filters (PostgreSQL's row mirrors and the portable requirement-row
    version the SQLite demo uses) and the qualifications selector implement the same rules."""
    from marketplace.models import Project
    from marketplace.selectors.board import eligible_by_mirrors, eligible_by_requirement_rows

    experts = []
    for country, quals, langs in [
        ("GB", [("cardiology", 2)], ["en"]),
        ("US", [("contract-law", 1), ("python", 3)], ["en", "es"]),
        ("", [("medicine", 1)], []),
        ("FR", [], ["fr"]),
    ]:
        e = ExpertFactory()
        e.expert_profile.country = country
        e.expert_profile.save()
        for slug, level in quals:
            qualify(e, slug, level)
        speak(e, *langs)
        experts.append(e)
    variants = [
        {},
        {"domains": needs("medicine", 1)},
        {"domains": needs("medicine", 2)},
        {"domains": needs("cardiology", 3)},
        {"domains": needs("law", 1) + needs("python", 2)},
        {"languages": ["en"]},
        {"languages": ["en", "es"]},
        {"countries_allow": ["GB", "US"]},
        {"countries_deny": ["US"]},
        {"countries_deny": ["FR"], "domains": needs("medicine", 1)},
    ]
    for v in variants:
        make_project(organization, status="live", **v)
    projects = list(Project.objects.filter(status="live"))
    for expert in experts:
        facts = selectors.expert_facts(expert=expert)
        rows = selectors.job_rows(expert=expert, projects=projects)
        by_selector = {r.project.pk for r in rows if r.eligibility.eligible}
        for sql_filter in (eligible_by_mirrors, eligible_by_requirement_rows):
            by_sql = set(Project.objects.filter(sql_filter(facts)).values_list("pk", flat=True))
            assert by_sql == by_selector, (sql_filter.__name__, expert.expert_profile.country)
        on_board = set(selectors.job_board_queryset(facts=facts).values_list("pk", flat=True))
        assert on_board == by_selector


def test_changing_a_drafts_requirements_updates_what_the_board_filters_on(
    organization, cardiologist
):
    project = make_project(organization, domains=needs("cardiology", 3), countries_deny=["GB"])
    assert sorted(project.board_requirements) == [f"d{domain('cardiology').pk}:3"]
    assert project.board_countries_deny == ["GB"]
    project = services.project_update(
        project=project,
        actor=_owner_of(organization),
        data={"domains": needs("cardiology", 1), "languages": ["en"], "countries_deny": []},
    )
    project.refresh_from_db()
    assert sorted(project.board_requirements) == [f"d{domain('cardiology').pk}:1", "l:en"]
    assert project.board_countries_deny == []


def test_board_pages_count_in_the_page_query(organization, cardiologist):
    first = make_project(organization, status="live", domains=needs("cardiology", 1))
    clone_live(first, 59)
    api = api_as(cardiologist)
    page_one = api.get("/api/v1/jobs/").json()
    assert page_one["count"] == 60 and len(page_one["results"]) == 50 and page_one["next"]
    page_two = api.get("/api/v1/jobs/", {"page": 2}).json()
    assert page_two["count"] == 60 and len(page_two["results"]) == 10
    assert page_two["next"] is None
    assert not set(ids(page_one["results"])) & set(ids(page_two["results"]))
    assert api.get("/api/v1/jobs/", {"page": 3}).status_code == 404
    assert api.get("/api/v1/jobs/", {"page": "x"}).status_code == 404


def test_board_page_shows_jobs_and_why_not(client, organization, lawyer):
    make_project(organization, status="live", title="Contract review", domains=needs("law", 1))
    make_project(
        organization,
        status="live",
        title="Senior contract review",
        domains=needs("contract-law", 3),
    )
    client.force_login(lawyer)
    page = client.get("/jobs/").content.decode()
    assert "Contract review" in page
    assert "Senior contract review" in page  # within reach …
    assert "needs Law › Contract law level 3" in page  # … with the reason


def test_the_written_out_board_row_matches_the_declared_serializer(organization, cardiologist):
    """JobSerializer writes its rows by hand for speed: same keys and values as DRF's generic
    field-by-field representation of the declared fields."""
    from rest_framework import serializers

    from marketplace.api.expert import JobSerializer
    from marketplace.models import Project

    make_project(
        organization,
        status="live",
        domains=needs("cardiology", 1),
        deadline=future(10),
        content_warning="violence",
    )
    make_project(organization, status="live", domains=needs("law", 1))  # not eligible
    facts = selectors.expert_facts(expert=cardiologist)
    projects = selectors.job_board_projects(selectors.job_board_queryset(facts=facts))
    rows = selectors.job_board_rows(expert=cardiologist, projects=projects) + selectors.job_rows(
        expert=cardiologist, projects=list(Project.objects.filter(status="live"))
    )
    assert any(row.eligibility.missing for row in rows)
    serializer = JobSerializer()
    for row in rows:
        fast = serializer.to_representation(row)
        generic = serializers.Serializer.to_representation(serializer, row)
        assert fast == generic
