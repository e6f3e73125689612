"""The public landing page, as a visitor sees it in a real browser."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_visitor_sees_what_plumbline_offers_companies_experts_and_auditors(page, console_errors):
    page.goto("/")

    expect(page).to_have_title(re.compile("Plumbline"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("experts")
    companies = page.locator("#companies")
    experts = page.locator("#experts")
    auditors = page.locator("#auditors")
    expect(companies).to_contain_text("For companies")
    expect(companies).to_contain_text("Hidden gold checks")
    expect(companies).to_contain_text("Fund escrow")
    expect(companies).to_contain_text("Export training-ready data")
    expect(experts).to_contain_text("For experts")
    expect(experts).to_contain_text("Prove your credentials")
    expect(experts).to_contain_text("Fair-pay floor guaranteed")
    expect(experts).to_contain_text("Pay stubs")
    expect(auditors).to_contain_text("auditors")
    expect(auditors).to_contain_text("Verify credentials")
    expect(auditors).to_contain_text("every ledger movement")
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()

    # The stylesheet and both scripts loaded from 'self' (the CSP allows nothing else).
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 251)"
    assert page.evaluate("typeof window.htmx") == "object"

    console_errors.assert_none()


def test_hire_experts_call_to_action_opens_company_sign_up(page, console_errors):
    page.goto("/")
    page.get_by_role("link", name="Hire experts").click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/\?account_type=company$"))
    expect(page.get_by_label("I am hiring for my company")).to_be_checked()
    expect(page.get_by_label("Company name")).to_be_visible()

    page.get_by_label("I want to work as an expert").check()
    expect(page.get_by_label("Company name")).to_be_hidden()
    console_errors.assert_none()
