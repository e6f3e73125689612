"""The localstripe harness behaves like Stripe where Plumbline relies on it: idempotency keys,
Connect accounts and onboarding links, transfers and reversals, and signed webhooks."""

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from django.conf import settings

from payments import stripe_client
from payments.exceptions import GatewayIdempotencyError, PaymentGatewayError

pytestmark = pytest.mark.django_db  # only for the `settings` override; no rows are written


@pytest.fixture
def http(localstripe):
    with httpx.Client(
        base_url=localstripe.url,
        headers={"Authorization": f"Bearer {settings.STRIPE_API_KEY}"},
        follow_redirects=False,
    ) as client:
        yield client


def _key() -> str:
    return f"test-{uuid.uuid4()}"


def test_it_listens_on_loopback_only(localstripe):
    assert localstripe.url.startswith("http://127.0.0.1:")


def test_unauthenticated_requests_are_refused(localstripe):
    assert httpx.get(f"{localstripe.url}/v1/transfers").status_code == 401


# --- idempotency -------------------------------------------------------------------------------


def test_the_same_key_and_parameters_replay_the_first_response(http):
    key, data = _key(), {"amount": "1000", "currency": "usd"}
    first = http.post("/v1/payment_intents", data=data, headers={"Idempotency-Key": key})
    again = http.post("/v1/payment_intents", data=data, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers


def test_the_same_key_with_other_parameters_is_an_idempotency_error(http):
    key = _key()
    http.post(
        "/v1/payment_intents",
        data={"amount": "1000", "currency": "usd"},
        headers={"Idempotency-Key": key},
    )
    other = http.post(
        "/v1/payment_intents",
        data={"amount": "2000", "currency": "usd"},
        headers={"Idempotency-Key": key},
    )
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"
    elsewhere = http.post(
        "/v1/customers", data={"email": "a@example.com"}, headers={"Idempotency-Key": key}
    )
    assert elsewhere.status_code == 400 and elsewhere.json()["error"]["type"] == "idempotency_error"


def test_the_gateway_surfaces_an_idempotency_error(localstripe):
    key = _key()
    stripe_client.payment_intent_create(
        amount=700, currency="USD", idempotency_key=key, metadata={}, description="a"
    )
    with pytest.raises(GatewayIdempotencyError):
        stripe_client.payment_intent_create(
            amount=800, currency="USD", idempotency_key=key, metadata={}, description="a"
        )


def test_a_request_that_failed_validation_is_not_saved_under_its_key(http):
    key = _key()
    bad = http.post(
        "/v1/payment_intents",
        data={"amount": "-5", "currency": "usd"},
        headers={"Idempotency-Key": key},
    )
    assert bad.status_code == 400
    good = http.post(
        "/v1/payment_intents",
        data={"amount": "500", "currency": "usd"},
        headers={"Idempotency-Key": key},
    )
    assert good.status_code == 200


def test_a_card_decline_is_saved_and_replayed(http):
    pi = http.post("/v1/payment_intents", data={"amount": "900", "currency": "usd"}).json()
    key = _key()
    url = f"/v1/payment_intents/{pi['id']}/confirm"
    data = {"payment_method": "pm_card_chargeCustomerFail"}
    first = http.post(url, data=data, headers={"Idempotency-Key": key})
    again = http.post(url, data=data, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 402
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"


def test_payment_intents_report_amount_received_and_can_be_retried_after_a_decline(localstripe):
    pi = stripe_client.payment_intent_create(
        amount=1234, currency="EUR", idempotency_key=_key(), metadata={"x": "1"}, description="d"
    )
    assert (pi.status, pi.amount_received, pi.metadata) == (
        "requires_payment_method",
        0,
        {"x": "1"},
    )
    declined = stripe_client.payment_intent_confirm(
        payment_intent_id=pi.id, payment_method="pm_card_chargeCustomerFail"
    )
    assert declined.status == "requires_payment_method"
    assert declined.failure_code == "card_declined"
    paid = stripe_client.payment_intent_confirm(
        payment_intent_id=pi.id, payment_method="pm_card_visa"
    )
    assert (paid.status, paid.amount_received, paid.currency) == ("succeeded", 1234, "EUR")
    with pytest.raises(PaymentGatewayError):
        stripe_client.payment_intent_confirm(payment_intent_id=pi.id, payment_method="pm_card_visa")


# --- Connect -----------------------------------------------------------------------------------


def _account(email="expert@example.com"):
    return stripe_client.connect_account_create(
        email=email, country="US", idempotency_key=_key(), metadata={"user_id": "1"}
    )


def _onboard(http, account_id):
    link = stripe_client.account_link_create(
        account_id=account_id,
        refresh_url="http://127.0.0.1:8000/payouts/refresh",
        return_url="http://127.0.0.1:8000/payouts/done",
    )
    return link, http.get(link.url)


def test_a_new_connect_account_cannot_receive_transfers_until_onboarded(http):
    account = _account()
    assert account.id.startswith("acct_")
    assert not (account.details_submitted or account.payouts_enabled or account.transfers_active)

    link, visit = _onboard(http, account.id)
    assert link.expires_at.timestamp() > time.time()
    assert visit.status_code == 302
    assert visit.headers["Location"] == "http://127.0.0.1:8000/payouts/done"
    account = stripe_client.connect_account_retrieve(account_id=account.id)
    assert account.details_submitted and account.payouts_enabled and account.transfers_active

    # An account link is single-use: a second visit goes to refresh_url.
    assert http.get(link.url).headers["Location"] == "http://127.0.0.1:8000/payouts/refresh"


def test_an_expired_account_link_redirects_to_refresh_url(http, localstripe):
    from payments.testing import localstripe_server

    account = _account()
    link = stripe_client.account_link_create(
        account_id=account.id, refresh_url="http://x.test/refresh", return_url="http://x.test/ok"
    )
    token = link.url.rsplit("/", 1)[1]

    def expire():
        localstripe_server._account_links[token]["expires_at"] = time.time() - 1

    localstripe.call(expire)
    assert http.get(link.url).headers["Location"] == "http://x.test/refresh"
    assert not stripe_client.connect_account_retrieve(account_id=account.id).details_submitted


def test_unknown_account_parameters_and_accounts_are_refused(http):
    assert http.post("/v1/accounts", data={"type": "express", "colour": "red"}).status_code == 400
    assert http.post("/v1/accounts", data={"type": "premium"}).status_code == 400
    assert http.get("/v1/accounts/acct_missing").status_code == 404
    assert (
        http.post(
            "/v1/account_links",
            data={
                "account": "acct_missing",
                "type": "account_onboarding",
                "refresh_url": "http://a",
                "return_url": "http://b",
            },
        ).status_code
        == 404
    )


# --- transfers ---------------------------------------------------------------------------------


def _charge(amount, currency="usd"):
    pi = stripe_client.payment_intent_create(
        amount=amount, currency=currency, idempotency_key=_key(), metadata={}, description="fund"
    )
    stripe_client.payment_intent_confirm(payment_intent_id=pi.id, payment_method="pm_card_visa")


def test_a_transfer_needs_an_onboarded_destination(http):
    _charge(5_000)
    account = _account()
    with pytest.raises(PaymentGatewayError, match="capabilities"):
        stripe_client.transfer_create(
            amount=100, currency="USD", destination=account.id, idempotency_key=_key(), metadata={}
        )
    with pytest.raises(PaymentGatewayError, match="No such destination"):
        stripe_client.transfer_create(
            amount=100, currency="USD", destination="acct_nope", idempotency_key=_key(), metadata={}
        )


def test_a_transfer_cannot_exceed_the_available_balance(http):
    account = _account()
    _onboard(http, account.id)
    response = http.post(
        "/v1/transfers", data={"amount": "100", "currency": "gbp", "destination": account.id}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "balance_insufficient"


def test_transfers_move_balance_are_idempotent_and_can_be_reversed(http):
    _charge(10_000)
    account = _account()
    _onboard(http, account.id)
    before = _available(http, "usd")

    key = _key()
    transfer = stripe_client.transfer_create(
        amount=2_500,
        currency="USD",
        destination=account.id,
        idempotency_key=key,
        metadata={"payout": "7"},
        transfer_group="payout-batch-1",
    )
    replay = stripe_client.transfer_create(
        amount=2_500,
        currency="USD",
        destination=account.id,
        idempotency_key=key,
        metadata={"payout": "7"},
        transfer_group="payout-batch-1",
    )
    assert replay.id == transfer.id
    assert (transfer.amount, transfer.destination, transfer.metadata) == (
        2_500,
        account.id,
        {"payout": "7"},
    )
    assert _available(http, "usd") == before - 2_500

    rows, _ = stripe_client.balance_transactions_list(limit=100)
    mine = [r for r in rows if r.source == transfer.id]
    assert [(r.type, r.amount) for r in mine] == [("transfer", -2_500)]

    partial = http.post(f"/v1/transfers/{transfer.id}/reversals", data={"amount": "1000"})
    assert partial.status_code == 200 and partial.json()["object"] == "transfer_reversal"
    again = stripe_client.transfer_retrieve(transfer_id=transfer.id)
    assert (again.amount_reversed, again.reversed) == (1_000, False)
    too_much = http.post(f"/v1/transfers/{transfer.id}/reversals", data={"amount": "1501"})
    assert too_much.status_code == 400
    rest = http.post(f"/v1/transfers/{transfer.id}/reversals", data={})
    assert rest.json()["amount"] == 1_500
    assert stripe_client.transfer_retrieve(transfer_id=transfer.id).reversed is True
    assert _available(http, "usd") == before

    listed = http.get("/v1/transfers", params={"destination": account.id}).json()
    assert [t["id"] for t in listed["data"]] == [transfer.id]
    reversals = http.get(f"/v1/transfers/{transfer.id}/reversals").json()
    assert sorted(r["amount"] for r in reversals["data"]) == [1_000, 1_500]


def _available(http, currency):
    balance = http.get("/v1/balance").json()
    return next((b["amount"] for b in balance["available"] if b["currency"] == currency), 0)


# --- webhooks ----------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers["Stripe-Signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhooks_are_signed_so_that_the_sdk_verifies_them(localstripe, http):
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        localstripe.configure_webhook(
            name="probe",
            url=f"http://127.0.0.1:{server.server_port}/",
            secret=settings.STRIPE_WEBHOOK_SECRET,
            events=["account.updated", "transfer.created"],
        )
        account = _account()
        _onboard(http, account.id)
        deadline = time.monotonic() + 10
        while account.id.encode() not in b"".join(b for b, _ in _Receiver.received):
            assert time.monotonic() < deadline, "no webhook for the account"
            time.sleep(0.1)
    finally:
        server.shutdown()
    # Every delivery verifies (earlier tests' events may arrive too); ours says what happened.
    events = [stripe_client.construct_event(payload=b, sig_header=h) for b, h in _Receiver.received]
    event = next(e for e in events if e.object_id == account.id)
    body, header = next((b, h) for b, h in _Receiver.received if account.id.encode() in b)
    assert event.type == "account.updated"
    assert event.payload["data"]["object"]["capabilities"] == {"transfers": "active"}
    with pytest.raises(Exception, match="signature"):
        stripe_client.construct_event(payload=body.replace(b"active", b"actove"), sig_header=header)
