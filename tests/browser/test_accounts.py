"""Sign-up, e-mail verification, organizations, API tokens and staff two-factor, in a browser."""

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation, Membership, User
from tests.browser.conftest import PASSWORD, link_in_mail
from tests.conftest import PASSWORD as FACTORY_PASSWORD
from tests.factories import ExpertFactory, StaffFactory
from tests.totp import totp_code

pytestmark = pytest.mark.browser


def sign_up(page, *, account_type: str, name: str, email: str, organization: str = ""):
    page.goto("/accounts/signup/")
    page.get_by_label(account_type).check()
    if organization:
        page.get_by_label("Company name").fill(organization)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()


def confirm_email(page, mailbox, email: str):
    (message,) = [m for m in mailbox if email in m.to]
    link = link_in_mail(message, "/accounts/confirm-email/")
    page.goto(urlparse(link).path)
    expect(page.get_by_role("heading", name="Confirm Email Address")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()


def sign_in(page, email: str, password: str):
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign In").click()


def test_expert_signs_up_confirms_email_and_lands_on_expert_home(page, mailbox, console_errors):
    sign_up(
        page,
        account_type="I want to work as an expert",
        name="Ada Lovelace",
        email="ada@example.com",
    )

    confirm_email(page, mailbox, "ada@example.com")

    expect(page).to_have_url(re.compile(r"/expert/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ada Lovelace")
    expect(page.get_by_text("No projects yet")).to_be_visible()
    user = User.objects.get(email="ada@example.com")
    assert user.kind == User.Kind.EXPERT
    assert user.expert_profile.pseudonym
    expect(page.get_by_text(user.expert_profile.pseudonym)).to_be_visible()
    console_errors.assert_none()


def test_company_signs_up_as_owner_and_invites_a_member(page, mailbox, console_errors):
    sign_up(
        page,
        account_type="I am hiring for my company",
        name="Olivia Owner",
        email="olivia@initech.example",
        organization="Initech Research",
    )
    confirm_email(page, mailbox, "olivia@initech.example")

    expect(page).to_have_url(re.compile(r"/company/$"))
    row = page.get_by_role("row", name=re.compile("Initech Research"))
    expect(row).to_contain_text("Owner")
    row.get_by_role("link", name="Members").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Initech Research")
    expect(page.locator("#members-table")).to_contain_text("olivia@initech.example")
    expect(page.get_by_text("No pending invitations")).to_be_visible()
    page.get_by_label("Email").fill("peter@initech.example")
    page.get_by_label("Role").select_option("reviewer")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("status")).to_contain_text("Invitation sent to peter@initech.example.")
    invitation_row = page.locator("#invitations-table").get_by_role(
        "row", name=re.compile("peter@initech.example")
    )
    expect(invitation_row).to_contain_text("Reviewer")
    expect(invitation_row).to_contain_text("Pending")
    invitation = Invitation.objects.get(email="peter@initech.example")
    assert invitation.status == Invitation.Status.PENDING
    assert Membership.objects.get(user__email="olivia@initech.example").role == "owner"
    assert any("peter@initech.example" in m.to for m in mailbox)
    console_errors.assert_none()


def test_company_sign_up_without_company_name_is_refused(page, mailbox, console_errors):
    page.goto("/accounts/signup/")
    page.get_by_label("I am hiring for my company").check()
    page.get_by_label("Email", exact=True).fill("nameless@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page.locator("#field-organization_name")).to_contain_text("Give your company's name.")
    expect(page.get_by_label("Company name")).to_be_visible()
    assert not User.objects.filter(email="nameless@example.com").exists()
    assert mailbox == []
    console_errors.assert_none()


def test_expert_creates_an_api_token_sees_it_once_and_revokes_it(page, console_errors):
    ExpertFactory(email="tess.token@example.com")
    sign_in(page, "tess.token@example.com", FACTORY_PASSWORD)
    expect(page).to_have_url(re.compile(r"/expert/$"))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    expect(page.get_by_text("No tokens yet")).to_be_visible()
    page.get_by_label("Name").fill("nightly export")
    page.get_by_role("button", name="Create token").click()

    raw = page.locator("#new-token").inner_text().strip()
    assert raw.startswith("plb_")
    expect(page.locator("#new-token-panel")).to_contain_text("shown only once")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("nightly export"))
    expect(row).to_contain_text("Active")
    assert raw not in page.locator("#tokens-table").inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    expect(page.get_by_role("row", name=re.compile("nightly export"))).to_contain_text("Revoked")
    expect(page.locator("#new-token")).to_have_count(0)
    console_errors.assert_none()


def test_staff_must_enrol_totp_then_signs_in_with_a_code(page, console_errors):
    StaffFactory(email="sam.staff@plumbline.example", name="Sam Staff")

    sign_in(page, "sam.staff@plumbline.example", FACTORY_PASSWORD)
    # The MFA-required middleware sends staff to TOTP set-up; allauth first asks for the
    # password again (adding an authenticator always needs a fresh reauthentication).
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(FACTORY_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    expect(page.locator("img.qr")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()

    sign_in(page, "sam.staff@plumbline.example", FACTORY_PASSWORD)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", name="Recent audit events")).to_be_visible()
    expect(page.locator("table")).to_contain_text("user.signed_in")
    console_errors.assert_none()
