"""Qualifications in a browser: an expert uploads a credential and passes a test; staff verify."""

import re

import pytest
from playwright.sync_api import expect

from qualifications.models import Credential, Qualification, QualificationTest, Question
from tests.browser.test_accounts import sign_in
from tests.conftest import PASSWORD
from tests.factories import ExpertFactory, StaffFactory
from tests.totp import totp_code

pytestmark = pytest.mark.browser

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>"
    b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture
def cardiology_test(db):
    from qualifications.models import Domain

    # live_server flushes tables between tests, so the seeded taxonomy may be gone: recreate.
    medicine, _ = Domain.objects.get_or_create(slug="medicine", defaults={"name": "Medicine"})
    cardiology, _ = Domain.objects.get_or_create(
        slug="cardiology", defaults={"name": "Cardiology", "parent": medicine}
    )
    test = QualificationTest.objects.create(
        domain=cardiology,
        title="Cardiology basics",
        grant_level=2,
        pass_mark_percent=100,
        time_limit_minutes=10,
        is_published=True,
    )
    Question.objects.create(
        test=test,
        kind="single",
        prompt="Which is a cardioselective beta blocker?",
        choices=[{"key": "a", "text": "Propranolol"}, {"key": "b", "text": "Bisoprolol"}],
        gold="b",
        explanation="Bisoprolol is beta-1 selective.",
    )
    Question.objects.create(
        test=test,
        kind="numeric",
        prompt="Upper limit of a normal resting heart rate (bpm)?",
        gold={"value": 100, "tolerance": 0},
        explanation="Above 100 bpm is tachycardia.",
    )
    return test


def test_expert_uploads_a_credential_and_takes_a_test_to_a_pass(
    page, console_errors, cardiology_test
):
    expert = ExpertFactory(email="ada.browser@experts.example", name="Ada Browser")
    sign_in(page, expert.email, PASSWORD)

    page.goto("/expert/credentials/")
    page.get_by_label("Kind").select_option("licence")
    page.get_by_label("Title").fill("Full registration")
    page.get_by_label("Issuer").fill("General Medical Council")
    page.get_by_label("Evidence").set_input_files(
        {"name": "licence.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Credential submitted")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Pending review")
    assert Credential.objects.get(expert=expert).status == "pending"

    page.goto("/expert/tests/")
    page.get_by_role("button", name="Start Cardiology basics").click()
    expect(page).to_have_url(re.compile(r"/expert/attempts/\d+/$"))
    expect(page.get_by_text("Time left")).to_be_visible()
    expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"^(09|10):\d\d$"))
    page.get_by_label("Bisoprolol").check()
    page.get_by_label("Your answer (a number)").fill("100")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit for grading").click()

    expect(page.get_by_text("Passed.")).to_be_visible()
    expect(page.get_by_text("Bisoprolol is beta-1 selective.")).to_be_visible()
    page.goto("/expert/qualifications/")
    expect(page.locator("table")).to_contain_text("Medicine › Cardiology")
    assert Qualification.objects.filter(expert=expert, source="test", level=2).exists()
    console_errors.assert_none()


def test_staff_verify_a_credential(page, console_errors, db):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.core.files.base import ContentFile

    from qualifications.models import Domain

    staff = StaffFactory(email="sam.browser@plumbline.example")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    expert = ExpertFactory(email="nia.browser@experts.example")
    credential = Credential(
        expert=expert,
        kind="degree",
        title="MSc Chemistry",
        issuer="University of Nairobi",
        evidence_name="msc.pdf",
        evidence_content_type="application/pdf",
        evidence_size=len(PDF_BYTES),
    )
    credential.evidence.save("evidence", ContentFile(PDF_BYTES), save=False)
    credential.save()

    chemistry, _ = Domain.objects.get_or_create(slug="chemistry", defaults={"name": "Chemistry"})

    sign_in(page, staff.email, PASSWORD)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    page.goto("/staff/credentials/")
    page.get_by_role("link", name="Review MSc Chemistry").click()
    expect(page.locator("iframe.evidence")).to_be_visible()
    page.get_by_label("Verify").check()
    page.get_by_label("Grant a qualification in").select_option(str(chemistry.pk))
    page.get_by_label("Grant level").select_option("1")
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_text("Verified “MSc Chemistry”.")).to_be_visible()
    expect(page.get_by_text("Nothing to review")).to_be_visible()
    credential.refresh_from_db()
    assert credential.status == "verified" and credential.reviewed_by == staff
    assert Qualification.objects.get(expert=expert).domain == chemistry
    console_errors.assert_none()
