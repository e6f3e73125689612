"""Money in minor units (cents). All supported currencies have two decimals."""

from dataclasses import dataclass

from django.conf import settings

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def format_minor(amount: int, currency: str) -> str:
    sign = "-" if amount < 0 else ""
    amount = abs(int(amount))
    return f"{sign}{amount // 100:,}.{amount % 100:02d} {currency}"


def bps_of(amount: int, bps: int) -> int:
    """`bps` basis points of `amount`, rounded half up (integers only: no float drift)."""
    return (amount * bps + 5000) // 10000


def effective_hourly_minor(*, pay_per_task_minor: int, estimated_minutes: int) -> int:
    """Pay per hour of estimated work, rounded down (the expert is never promised more)."""
    if not estimated_minutes:
        return 0
    return pay_per_task_minor * 60 // estimated_minutes


@dataclass(frozen=True)
class Budget:
    currency: str
    items: int
    overlap: int
    tasks: int
    pay_per_task_minor: int
    task_pay_minor: int
    platform_fee_bps: int
    platform_fee_minor: int
    reserve_bps: int
    fair_pay_reserve_minor: int
    total_minor: int

    def formatted(self, field: str) -> str:
        return format_minor(getattr(self, field), self.currency)


def budget_for(*, items: int, overlap: int, pay_per_task_minor: int, currency: str) -> Budget:
    """items × overlap × pay (gold items are paid like any other) + platform fee + fair-pay
    reserve kept in escrow for later top-ups to the hourly floor."""
    tasks = items * overlap
    task_pay = tasks * pay_per_task_minor
    fee_bps = settings.PLUMBLINE_PLATFORM_FEE_BPS
    reserve_bps = settings.PLUMBLINE_FAIR_PAY_RESERVE_BPS
    fee = bps_of(task_pay, fee_bps)
    reserve = bps_of(task_pay, reserve_bps)
    return Budget(
        currency=currency,
        items=items,
        overlap=overlap,
        tasks=tasks,
        pay_per_task_minor=pay_per_task_minor,
        task_pay_minor=task_pay,
        platform_fee_bps=fee_bps,
        platform_fee_minor=fee,
        reserve_bps=reserve_bps,
        fair_pay_reserve_minor=reserve,
        total_minor=task_pay + fee + reserve,
    )
