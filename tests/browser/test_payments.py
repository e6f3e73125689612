"""Money in a browser: a company funds a project with the test card and sees the escrow; an
expert sees a pay stub with a fair-pay top-up; staff open the pay audit chart."""

import re

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from marketplace.models import ProjectStatus
from payments import services
from tests.browser.test_accounts import sign_in
from tests.conftest import PASSWORD
from tests.factories import CompanyUserFactory, ExpertFactory, MembershipFactory, StaffFactory
from tests.marketplace.factories import make_project
from tests.payments.conftest import localstripe, localstripe_server  # noqa: F401 - fixtures
from tests.payments.money import accepted_work, fund_escrow
from tests.totp import totp_code

pytestmark = pytest.mark.browser


def _company(slug: str):
    from accounts.models import Organization, Role

    org = Organization.objects.create(name=f"Org {slug}", slug=slug)
    owner = MembershipFactory(
        organization=org, role=Role.OWNER, user=CompanyUserFactory(email=f"owner@{slug}.example")
    ).user
    return org, owner


def test_a_company_funds_a_project_with_the_test_card_and_sees_the_escrow(
    page,
    console_errors,
    localstripe,  # noqa: F811 - the fixture imported above
    db,
):
    org, owner = _company("fundco")
    project = make_project(org, actor=owner, item_count=10, overlap=1, title="Fund me")
    sign_in(page, owner.email, PASSWORD)
    page.goto(f"/company/projects/{project.pk}/funding/")
    page.get_by_role("button", name="Pay with a test card").click()
    expect(page.get_by_text("Payment received: the escrow is credited.")).to_be_visible()
    expect(page.locator("#escrow-balance")).not_to_have_text(re.compile(r"^0\.00"))
    page.get_by_role("link", name="All spend and receipts").click()
    expect(page.locator("#spend-chart svg")).to_be_visible()
    expect(page.get_by_role("link", name="Receipt")).to_be_visible()
    console_errors.assert_none()


@override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=1500)
def test_an_expert_sees_a_pay_stub_with_a_topup(page, console_errors, db):
    org, owner = _company("slowco")
    project = make_project(
        org,
        actor=owner,
        status=ProjectStatus.LIVE,
        pay_per_task_minor=1200,
        estimated_minutes=45,
        item_count=10,
        overlap=1,
        title="Slow careful work",
    )
    fund_escrow(project, 100_000)
    expert = ExpertFactory(email="nia.pay@experts.example")
    accepted_work(project, expert, 2, seconds=3600)
    services.fairpay_settle(project_id=project.pk)
    sign_in(page, expert.email, PASSWORD)
    page.goto("/expert/earnings/")
    expect(page.locator("#stubs-table")).to_contain_text("+6.00 USD")
    page.get_by_role("link", name="Slow careful work").click()
    expect(page.locator("#stub-topups")).to_contain_text("3.00 USD per task")
    expect(page.locator("#pay-stub")).to_contain_text("12.00 USD/h")
    console_errors.assert_none()


@override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=1500)
def test_staff_open_the_pay_audit_chart(page, console_errors, db):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    org, owner = _company("auditco")
    project = make_project(
        org,
        actor=owner,
        status=ProjectStatus.LIVE,
        pay_per_task_minor=1200,
        estimated_minutes=45,
        item_count=10,
        overlap=1,
        title="Audited project",
    )
    fund_escrow(project, 100_000)
    accepted_work(project, ExpertFactory(), 3, seconds=3600)
    services.fairpay_settle(project_id=project.pk)
    staff = StaffFactory(email="sam.pay@plumbline.example")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    sign_in(page, staff.email, PASSWORD)
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    page.goto("/staff/pay-audit/")
    chart = page.locator("#rates-chart svg")
    expect(chart).to_be_visible()
    expect(page.locator("#under-floor-table")).to_contain_text("Audited project")
    page.get_by_role("link", name="Ledger browser").click()
    page.get_by_label("Kind").select_option("fair_pay_topup")
    expect(page.locator("#ledger-table")).to_contain_text(f"fairpay:{project.pk}:")
    console_errors.assert_none()
