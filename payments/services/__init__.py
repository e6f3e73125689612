"""Writes for payments: one transaction per use case; checks first, then the write."""

from payments.services.closing import project_close_settle
from payments.services.earnings import (
    adjustment_post,
    bonus_grant,
    earnings_post,
    earnings_post_all,
    project_spend_check,
)
from payments.services.fairpay import fairpay_settle, fairpay_settle_projects
from payments.services.funding import (
    funding_apply_payment_intent,
    funding_create,
    funding_pay_with_test_card,
    funding_sync,
)
from payments.services.ledger import (
    Line,
    check_journal_entry,
    credit,
    debit,
    journal_entry_post,
    journal_entry_reverse,
    ledger_account_ensure,
    platform_account,
)
from payments.services.payouts import (
    payout_account_onboarding_link,
    payout_account_refresh,
    payout_execute,
    payout_fail,
    payout_request,
    payouts_create_batch,
)
from payments.services.reconciliation import reconciliation_run
from payments.services.webhooks import stripe_event_process, stripe_event_record

__all__ = [
    "adjustment_post",
    "bonus_grant",
    "earnings_post",
    "earnings_post_all",
    "fairpay_settle",
    "fairpay_settle_projects",
    "payout_account_onboarding_link",
    "payout_account_refresh",
    "payout_execute",
    "payout_fail",
    "payout_request",
    "payouts_create_batch",
    "project_close_settle",
    "project_spend_check",
    "reconciliation_run",
    "Line",
    "check_journal_entry",
    "credit",
    "debit",
    "funding_apply_payment_intent",
    "funding_create",
    "funding_pay_with_test_card",
    "funding_sync",
    "journal_entry_post",
    "journal_entry_reverse",
    "ledger_account_ensure",
    "platform_account",
    "stripe_event_process",
    "stripe_event_record",
]
