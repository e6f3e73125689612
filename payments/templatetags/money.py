from django import template

from marketplace.money import format_minor

register = template.Library()


@register.filter
def minor(amount: int | None, currency: str) -> str:
    """120050|minor:"USD" → "1,200.50 USD"."""
    return format_minor(int(amount or 0), currency)


@register.filter
def neg(amount: int | None) -> int:
    """Flip a posting's sign: credits to a liability show as positive amounts."""
    return -int(amount or 0)
