"""Trial and recurring credits: an amount with its currency, and its validity or period."""

from __future__ import annotations

import re

from tracker.model import TrialCredits
from tracker.quantities import Money, parse_days, parse_money, parse_service_type
from tracker.sources.page.vocabulary import CREDIT_PERIODS, FREE_PLAN_PREFIX, PERIOD_SUFFIX


def credits_in_parentheses(text: str) -> TrialCredits | None:
    """`试用积分（¥5，7天有效）` → TrialCredits(5, CNY, 7); None when no amount is stated."""
    if parse_service_type(text) != "trial-credits":
        return None
    for inner in re.findall(r"[（(]([^（）()]*)[）)]", text):
        # `¥5，7天`, `¥5, 7-day validity`: the amount and the validity, each its own part
        parts = [part.strip() for part in re.split(r"[,，;；]", inner)]
        money = next((m for part in parts if isinstance(m := parse_money(part), Money)), None)
        if money is not None:
            days = next((d for part in parts
                         if (d := parse_days(re.sub(r"(\d)\s*-\s*day", r"\1 day", part)))
                         is not None), None)
            return TrialCredits(money.amount, money.currency, days)
    return None


def trial_credits(value: str, notes: str) -> TrialCredits:
    """A credits cell; the template puts the validity in the notes column, so read it there too."""
    money = parse_money(value)
    days = parse_days(value)
    period = credit_period(value)
    if days is None and notes:
        days = parse_days(notes)
    if period is not None:
        days = None  # `$5/月`: given every month, not valid for some days
    if isinstance(money, Money):
        return TrialCredits(money.amount, money.currency, days, period)
    return TrialCredits(money, None, days, period)


def credit_period(text: str) -> str | None:
    """How often credits come again: `$5/月`, `每月 $5`, `$0.10/month` → "month"."""
    return next((name for name, pattern in CREDIT_PERIODS if pattern.search(text)), None)


def recurring_credits(label: str, value: str) -> TrialCredits | None:
    """A `每月免费额度 | $5` row: money given every period (a row of requests or tokens is a
    limit, not credits)."""
    period = credit_period(label) or credit_period(value)
    # `Free 约 $0.10/月`: the plan's name before the amount and the period after it are not
    # part of the amount
    amount = PERIOD_SUFFIX.sub("", FREE_PLAN_PREFIX.sub("", value))
    money = parse_money(amount)
    if not isinstance(money, Money) or money.currency is None:
        return None
    return TrialCredits(money.amount, money.currency, None, period) if period else None
