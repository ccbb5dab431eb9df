"""Trial and recurring credits: an amount with its currency, and its validity or period."""

from __future__ import annotations

import re

from tracker.model import TrialCredits
from tracker.quantities import Money, parse_days, parse_money, parse_service_type


def credits_in_parentheses(text: str) -> TrialCredits | None:
    """`试用积分（¥5，7天有效）` → TrialCredits(5, CNY, 7); None when no amount is stated."""
    if parse_service_type(text) != "trial-credits":
        return None
    for inner in re.findall(r"[（(]([^（）()]*)[）)]", text):
        money = parse_money(inner)
        if isinstance(money, Money):
            return TrialCredits(money.amount, money.currency, parse_days(inner))
    return None


def trial_credits(value: str, notes: str) -> TrialCredits:
    """A credits cell; the template puts the validity in the notes column, so read it there too."""
    money = parse_money(value)
    days = parse_days(value)
    if days is None and notes:
        days = parse_days(notes)
    if isinstance(money, Money):
        return TrialCredits(money.amount, money.currency, days)
    return TrialCredits(money, None, days)
