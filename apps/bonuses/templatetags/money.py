"""``{{ amount|money:currency }}``: an amount with its currency's decimals (525.00, 1.250, 525)."""

from django import template

from apps.bonuses import money as money_rules

register = template.Library()


@register.filter
def money(value, currency: str) -> str:
    return "" if value is None else money_rules.format_amount(value, currency)
