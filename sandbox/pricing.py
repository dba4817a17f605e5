"""The price policy: which discount a customer tier gets for a quantity of a product."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal


def policy_for(rules: Iterable, tier: str, category: str, quantity: Decimal) -> tuple[Decimal,
                                                                                        Decimal]:
    """(discount %, extra discount % a clerk may add without approval) for one order line.

    The best matching rule wins: the tier's rules whose category is the product's (or any)
    and whose minimum quantity the line reaches, highest discount first.
    """
    matching = [
        rule for rule in rules
        if rule.tier == tier and rule.category in (None, category)
        and quantity >= rule.min_quantity
    ]
    if not matching:
        return Decimal("0"), Decimal("0")
    best = max(matching, key=lambda rule: (rule.discount_pct, rule.min_quantity))
    return Decimal(best.discount_pct), Decimal(best.max_extra_discount_pct)
