"""Money pages and API: experts see only their own stubs and payouts; company spend; staff audit."""

import csv
import io

import pytest
from django.test import override_settings

from marketplace.models import ProjectStatus
from payments import services
from tests.conftest import api_as
from tests.marketplace.factories import make_project
from tests.payments.money import accepted_work, fund_escrow

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(organization, owner, expert, other_expert):
    with override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=1500):
        project = make_project(
            organization,
            actor=owner,
            status=ProjectStatus.LIVE,
            pay_per_task_minor=1200,
            estimated_minutes=45,
            item_count=100,
            overlap=1,
            title="Slow tasks",
        )
        fund_escrow(project, 1_000_000)
        accepted_work(project, expert, 2, seconds=3600)
        services.fairpay_settle(project_id=project.pk)
    return project


def test_an_expert_sees_their_pay_stub_with_the_topup(client, settled, expert):
    client.force_login(expert)
    page = client.get("/expert/earnings/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Slow tasks" in body and "+6.00 USD" in body
    stub = client.get(f"/expert/earnings/projects/{settled.pk}/")
    assert stub.status_code == 200
    text = stub.content.decode()
    assert "3.00 USD per task" in text and "12.00 USD/h" in text and "15.00 USD/h" in text
    data = api_as(expert).get(f"/api/v1/me/pay-stubs/{settled.pk}/").json()
    assert data["topups_minor"] == 600 and data["project_hourly_minor"] == 1200
    assert data["own_hourly_with_topups_minor"] == 1500
    csv = client.get("/expert/earnings.csv")
    assert csv["Content-Type"].startswith("text/csv") and b"fair_pay_topup" in csv.content


def test_an_expert_cannot_see_another_experts_pay_stub(client, settled, other_expert):
    client.force_login(other_expert)
    assert client.get(f"/expert/earnings/projects/{settled.pk}/").status_code == 404
    assert api_as(other_expert).get(f"/api/v1/me/pay-stubs/{settled.pk}/").status_code == 404
    summary = api_as(other_expert).get("/api/v1/me/earnings/").json()
    assert summary["pay_stubs"] == [] and summary["balances"] == {}


def test_the_company_sees_spend_escrow_and_receipts_other_orgs_do_not(
    client, settled, owner, other_owner
):
    client.force_login(owner)
    page = client.get("/company/spend/")
    assert page.status_code == 200 and b"<svg" in page.content and b"Slow tasks" in page.content
    rows = api_as(owner).get("/api/v1/company/spend/").json()
    (row,) = rows
    assert row["funded_minor"] == 1_000_000 and row["topups_minor"] == 600
    assert api_as(other_owner).get("/api/v1/company/spend/").json() == []
    funding = settled.fundings.first()
    assert client.get(f"/company/receipts/{funding.pk}/").status_code == 200
    client.force_login(other_owner)
    assert client.get(f"/company/receipts/{funding.pk}/").status_code == 404


def test_staff_pay_audit_and_ledger(client, settled, staff_with_mfa, expert):
    client.force_login(staff_with_mfa)
    page = client.get("/staff/pay-audit/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Effective hourly rate per project" in body and "<svg" in body
    assert "Slow tasks" in body  # under the floor
    ledger = client.get("/staff/pay-audit/ledger/", {"kind": "fair_pay_topup"})
    assert (
        ledger.status_code == 200
        and f"fairpay:{settled.pk}:{expert.pk}:1" in ledger.content.decode()
    )
    audits = api_as(staff_with_mfa).get("/api/v1/staff/fair-pay-audits/?under_floor=1").json()
    assert audits[0]["topup_per_task_minor"] == 300
    entries = api_as(staff_with_mfa).get("/api/v1/staff/ledger/?kind=earning").json()
    assert len(entries) == 2


def test_non_staff_cannot_open_the_pay_audit(client, settled, expert, owner):
    for user in (expert, owner):
        client.force_login(user)
        assert client.get("/staff/pay-audit/").status_code == 403
        assert api_as(user).get("/api/v1/staff/ledger/").status_code == 403


def test_staff_adjust_through_the_api(staff, expert):
    response = api_as(staff).post(
        "/api/v1/staff/adjustments/",
        {"expert": expert.pk, "amount": 250, "reason": "Goodwill"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert api_as(expert).get("/api/v1/me/earnings/").json()["balances"] == {"USD": 250}


def test_the_earnings_csv_never_starts_a_cell_with_a_formula(client, settled, expert):
    """Entry descriptions can carry company-written text: a spreadsheet must not evaluate it."""
    from payments.models import EntryKind, LedgerAccount
    from payments.services import credit, debit, journal_entry_post, ledger_account_ensure

    escrow = LedgerAccount.objects.get(kind="project_escrow", project=settled)
    payable = ledger_account_ensure(kind="expert_payable", currency=escrow.currency, user=expert)
    journal_entry_post(
        idempotency_key=f"test:formula:{settled.pk}",
        kind=EntryKind.BONUS,
        currency=escrow.currency,
        lines=[debit(escrow, 100), credit(payable, 100)],
        description='=HYPERLINK("http://evil.example","click")',
    )
    client.force_login(expert)
    rows = list(csv.reader(io.StringIO(client.get("/expert/earnings.csv").content.decode())))
    (bonus,) = [r for r in rows if "HYPERLINK" in r[2]]
    assert bonus[2] == "'" + '=HYPERLINK("http://evil.example","click")'
    assert bonus[3] == "1.00"
