from django import template

from marketplace.money import format_minor

register = template.Library()


@register.filter
def money(amount, currency="USD"):
    """12345|money:"USD" → "123.45 USD"."""
    if amount in (None, ""):
        return "—"
    return format_minor(int(amount), currency)


@register.filter
def percent_bps(bps):
    return f"{int(bps or 0) / 100:g}%"
