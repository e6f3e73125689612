"""Payments: the double-entry ledger, fundings, stored Stripe events, fair pay and payouts."""

from payments.models.events import StripeEvent
from payments.models.funding import Funding
from payments.models.ledger import Earning, EntryKind, JournalEntry, LedgerAccount, Posting
from payments.models.payouts import (
    EscrowRefund,
    FairPayAudit,
    FairPayCredit,
    Payout,
    PayoutAccount,
    ReconciliationReport,
    TaskCursor,
)

__all__ = [
    "Earning",
    "EntryKind",
    "EscrowRefund",
    "FairPayAudit",
    "FairPayCredit",
    "Funding",
    "JournalEntry",
    "LedgerAccount",
    "Payout",
    "PayoutAccount",
    "Posting",
    "ReconciliationReport",
    "StripeEvent",
    "TaskCursor",
]
