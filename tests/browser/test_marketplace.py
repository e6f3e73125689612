"""Marketplace in a browser: a company posts a pairwise-preference project through the
step-by-step form (and is refused a below-floor price first); an expert finds it on the board."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from marketplace import services
from marketplace.models import Project
from tests.browser.test_accounts import sign_in
from tests.conftest import PASSWORD
from tests.factories import (
    CompanyUserFactory,
    ExpertFactory,
    MembershipFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def people(db):
    organization = OrganizationFactory(name="Acme AI", slug="acme-ai")
    manager = MembershipFactory(
        organization=organization,
        role=Role.MANAGER,
        user=CompanyUserFactory(email="max.manager@acme.example"),
    ).user
    expert = ExpertFactory(email="alice.expert@example.com")
    return organization, manager, expert


def test_company_posts_a_pairwise_project_and_an_expert_finds_it(page, people, console_errors):
    organization, manager, expert = people
    sign_in(page, manager.email, PASSWORD)
    page.goto("/company/projects/new/")

    # 1. Basics & task type
    page.get_by_label("Title").fill("Which answer is kinder?")
    page.get_by_label("Summary").fill("Compare two replies to a support question.")
    page.get_by_label("Pairwise preference").check()
    page.get_by_label("Instructions").fill("Choose the **kinder** reply.")
    page.get_by_role("button", name="Continue").click()

    # 2. Task configuration: the defaults (tie allowed, strength 1–3, optional rationale)
    expect(page.get_by_text("Pairwise preference: Compare response A")).to_be_visible()
    page.get_by_role("button", name="Continue").click()

    # 3. Terms & pay: the effective hourly rate is shown live, then the floor refuses 12.00/h.
    page.get_by_label("Pay per task").fill("2.00")
    page.get_by_label("Estimated minutes per task").fill("10")
    expect(page.locator("[data-rate-output]")).to_have_text("12.00 USD")
    expect(page.locator("[data-rate-verdict]")).to_contain_text("Below the floor")
    page.get_by_role("button", name="Continue").click()
    refusal = page.get_by_test_id("floor-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("12.00 USD")
    expect(refusal).to_contain_text("15.00 USD")
    assert not Project.objects.exists()

    page.get_by_label("Pay per task").fill("4.50")
    expect(page.locator("[data-rate-output]")).to_have_text("27.00 USD")
    page.get_by_role("button", name="Continue").click()

    # 4. Requirements: none; 5. Review and post
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("review-budget")).to_contain_text("27.00 USD")
    page.get_by_test_id("submit-project").click()
    expect(page.get_by_test_id("status")).to_have_text("Draft")
    project = Project.objects.get()
    assert project.pay_per_task_minor == 450 and project.task_type == "pairwise"

    # Funding arrives (payments' job; staff for now), then the company launches.
    services.project_mark_funded(project=project, actor=None, reference="browser-test")
    page.reload()
    page.get_by_role("button", name="Launch / resume").click()
    expect(page.get_by_test_id("status")).to_have_text("Live")

    # The expert finds it on the job board and opens it.
    page.context.clear_cookies()
    sign_in(page, expert.email, PASSWORD)
    page.goto("/jobs/")
    job = page.get_by_role("link", name="Which answer is kinder?")
    expect(job).to_be_visible()
    expect(page.get_by_text("27.00 USD/h")).to_be_visible()
    job.click()
    expect(page).to_have_url(re.compile(rf"/jobs/{project.pk}/$"))
    expect(page.get_by_test_id("instructions")).to_contain_text("kinder")
    console_errors.assert_none()
