"""A company funds a project: PaymentIntent on (local) Stripe → escrow credited → project funded."""

import pytest

from accounts.models import AuditEvent
from core.exceptions import NotFound, NotPermitted
from marketplace.models import ProjectStatus
from payments import selectors, services
from payments.exceptions import FundingNotAllowed
from payments.models import Funding, JournalEntry
from payments.services.funding import TEST_CARD_DECLINED
from tests.conftest import api_as
from tests.marketplace.factories import make_project

pytestmark = pytest.mark.django_db

BUDGET = 195_000  # 100 items × overlap 3 × 5.00 + 10% fee + 20% fair-pay reserve


def test_funding_defaults_to_the_remaining_budget_and_creates_a_payment_intent(
    localstripe, project, owner
):
    start = services.funding_create(project=project, actor=owner)
    funding = start.funding
    assert funding.amount == BUDGET and funding.currency == "USD"
    assert funding.payment_intent_id.startswith("pi_")
    assert start.client_secret.startswith(funding.payment_intent_id)
    assert funding.status == Funding.Status.REQUIRES_PAYMENT


def test_paying_with_a_test_card_credits_escrow_and_marks_the_project_funded(
    localstripe, project, owner
):
    funding = services.funding_create(project=project, actor=owner).funding
    funding = services.funding_pay_with_test_card(funding=funding, actor=owner)

    assert funding.status == Funding.Status.SUCCEEDED
    project.refresh_from_db()
    assert project.status == ProjectStatus.FUNDED
    assert selectors.project_escrow_balance(project=project) == BUDGET
    assert (
        selectors.organization_prepaid_balance(organization=project.organization, currency="USD")
        == 0
    )
    keys = set(JournalEntry.objects.values_list("idempotency_key", flat=True))
    pi = funding.payment_intent_id
    assert keys == {f"funding:{pi}:received", f"funding:{pi}:escrow"}
    assert selectors.ledger_total() == 0
    assert AuditEvent.objects.filter(verb="funding.succeeded").exists()


def test_a_declined_card_is_shown_and_moves_no_money(localstripe, project, owner):
    funding = services.funding_create(project=project, actor=owner).funding
    funding = services.funding_pay_with_test_card(
        funding=funding, actor=owner, payment_method=TEST_CARD_DECLINED
    )
    assert funding.status == Funding.Status.FAILED
    assert funding.failure_code == "card_declined"
    assert "declined" in funding.failure_message
    assert not JournalEntry.objects.exists()
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT

    # The same funding can be paid with another card.
    funding = services.funding_pay_with_test_card(funding=funding, actor=owner)
    assert funding.status == Funding.Status.SUCCEEDED and funding.failure_message == ""
    assert selectors.project_escrow_balance(project=project) == BUDGET


def test_a_partial_payment_funds_escrow_but_not_the_project_until_the_budget_is_covered(
    localstripe, project, owner
):
    first = services.funding_create(project=project, actor=owner, amount=95_000).funding
    services.funding_pay_with_test_card(funding=first, actor=owner)
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT
    rest = services.funding_create(project=project, actor=owner).funding
    assert rest.amount == BUDGET - 95_000
    services.funding_pay_with_test_card(funding=rest, actor=owner)
    project.refresh_from_db()
    assert project.status == ProjectStatus.FUNDED
    assert selectors.project_escrow_balance(project=project) == BUDGET


def test_a_top_up_of_a_live_project_adds_to_escrow_and_keeps_it_live(
    localstripe, organization, owner
):
    project = make_project(organization, actor=owner, status=ProjectStatus.LIVE)
    funding = services.funding_create(project=project, actor=owner, amount=5_000).funding
    services.funding_pay_with_test_card(funding=funding, actor=owner)
    project.refresh_from_db()
    assert project.status == ProjectStatus.LIVE
    assert selectors.project_escrow_balance(project=project) == 5_000


def test_only_owners_and_managers_fund_and_outsiders_learn_nothing(
    localstripe, project, manager, reviewer, other_owner
):
    assert services.funding_create(project=project, actor=manager, amount=1_000).funding.pk
    with pytest.raises(NotPermitted):
        services.funding_create(project=project, actor=reviewer, amount=1_000)
    with pytest.raises(NotFound):
        services.funding_create(project=project, actor=other_owner, amount=1_000)


def test_a_fully_funded_budget_needs_an_explicit_top_up_amount(localstripe, project, owner):
    funding = services.funding_create(project=project, actor=owner).funding
    services.funding_pay_with_test_card(funding=funding, actor=owner)
    with pytest.raises(FundingNotAllowed):
        services.funding_create(project=project, actor=owner)
    assert services.funding_create(project=project, actor=owner, amount=500).funding.amount == 500


def test_closed_projects_and_silly_amounts_are_refused(localstripe, organization, owner):
    cancelled = make_project(organization, actor=owner, status=ProjectStatus.CANCELLED)
    with pytest.raises(FundingNotAllowed):
        services.funding_create(project=cancelled, actor=owner, amount=1_000)
    draft = make_project(organization, actor=owner)
    for amount in (1, 49, 100_000_000):
        with pytest.raises(FundingNotAllowed):
            services.funding_create(project=draft, actor=owner, amount=amount)


# --- API ---------------------------------------------------------------------------------------


def test_api_starts_a_funding_and_returns_the_client_secret(localstripe, project, manager):
    response = api_as(manager).post(
        f"/api/v1/projects/{project.pk}/fundings/", {"amount": 12_345}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == 12_345 and body["currency"] == "USD"
    assert body["status"] == "requires_payment"
    assert body["client_secret"].startswith(body["payment_intent_id"])
    assert body["publishable_key"].startswith("pk_test_")

    listed = api_as(manager).get(f"/api/v1/projects/{project.pk}/fundings/").json()
    assert [f["id"] for f in listed] == [body["id"]]
    assert "client_secret" not in listed[0]


def test_api_refuses_viewers_and_hides_projects_from_outsiders(
    localstripe, project, viewer, other_owner
):
    url = f"/api/v1/projects/{project.pk}/fundings/"
    assert api_as(viewer).post(url, {}, format="json").status_code == 403
    assert api_as(viewer).get(url).status_code == 200
    assert api_as(other_owner).post(url, {}, format="json").status_code == 404
    assert api_as(other_owner).get(url).status_code == 404
    assert not Funding.objects.exists()


# --- page --------------------------------------------------------------------------------------


def test_the_page_pays_with_a_test_card_and_shows_the_escrow(localstripe, client, project, owner):
    client.force_login(owner)
    url = f"/company/projects/{project.pk}/funding/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"Pay with a test card" in page.content

    response = client.post(url, {"card": "ok", "amount": ""}, follow=True)
    assert b"Payment received" in response.content
    assert b"1,950.00 USD" in response.content
    assert selectors.project_escrow_balance(project=project) == BUDGET


def test_the_page_shows_a_declined_card(localstripe, client, project, owner):
    client.force_login(owner)
    url = f"/company/projects/{project.pk}/funding/"
    response = client.post(url, {"card": "declined", "amount": "20.00"}, follow=True)
    assert b"The payment failed: Your card was declined." in response.content
    assert b"Retry with a test card" in response.content
    assert Funding.objects.get().status == Funding.Status.FAILED


def test_viewers_see_the_page_without_the_pay_button(localstripe, client, project, viewer):
    client.force_login(viewer)
    page = client.get(f"/company/projects/{project.pk}/funding/")
    assert page.status_code == 200 and b"Pay with a test card" not in page.content
