"""The company opens the quality dashboard and the judge-calibration report of the seeded demo
pairwise project and sees the charts."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from demo.seed import SEEDERS
from demo.seed.accounts import DEMO_PASSWORD
from marketplace.models import Project
from tests.browser.test_accounts import sign_in

pytestmark = pytest.mark.browser

SHOTS = "var/screenshots"


def test_company_sees_quality_charts_and_judge_calibration(page, console_errors):
    for _, seeder in SEEDERS:
        seeder()
    project = Project.objects.get(task_type="pairwise", organization__slug="acme-ai", status="live")
    assert User.objects.filter(email="owner@acme.example").exists()
    sign_in(page, "owner@acme.example", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"/company/projects/{project.pk}/quality/")
    expect(page.get_by_role("heading", name="Quality", exact=True)).to_be_visible()
    expect(page.locator("#quality-agreement svg.chart--line")).to_be_visible()
    expect(page.locator("#quality-gold svg.chart--histogram")).to_be_visible()
    expect(page.locator("#quality-experts svg.chart--errorbars")).to_be_visible()
    expect(page.locator("#quality-ranking svg.chart--errorbars")).to_be_visible()
    assert page.locator("#quality-agreement svg polyline").count() >= 1
    assert page.locator("#quality-gold svg rect").count() >= 5
    expect(page.locator("#quality-flags")).to_contain_text("Prefers one position")
    expect(page.locator("#quality-flags")).to_contain_text("project's median active time")
    page.screenshot(path=f"{SHOTS}/quality_dashboard.png", full_page=True)

    page.get_by_role("link", name="Judge calibration").first.click()
    expect(page.get_by_role("heading", name="Judge calibration")).to_be_visible()
    careful = page.locator('[data-judge="careful-judge"]')
    biased = page.locator('[data-judge="first-position-judge"]')
    expect(careful.locator("svg.chart--heatmap").first).to_be_visible()
    expect(careful.locator("svg.chart--errorbars")).to_be_visible()
    expect(careful.locator(".judge-verdict").first).to_contain_text("judge careful-judge on")
    expect(biased.locator(".judge-verdict").first).to_contain_text("position bias")
    assert page.locator("svg.chart--heatmap").count() >= 6
    page.screenshot(path=f"{SHOTS}/quality_judges.png", full_page=True)
    console_errors.assert_none()
