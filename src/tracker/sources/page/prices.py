"""Prices: a cell or pair of cells → amount per million tokens and currency, with the unit a table
or section states for bare numbers."""

from __future__ import annotations

from tracker.model import Model
from tracker.quantities import Money, parse_price, parse_price_pair
from tracker.sources.markdown import plain
from tracker.sources.page.overview import FieldIndex, fields
from tracker.sources.page.vocabulary import (
    CNY,
    PER_THOUSAND,
    PRICE_UNIT,
    USD,
)


def price_unit(index: FieldIndex, section: str) -> str:
    """The `**价格单位：** 人民币/百万 tokens` note of a section, which bare numbers inherit."""
    return next((plain(f.value) for f in fields(index, PRICE_UNIT) if f.section == section), "")


def single_price(model: Model, cell: str, unit: str) -> None:
    """One 价格 cell: an in/out pair, or one flat price (or raw text) for both sides."""
    pair = parse_price_pair(cell)
    if pair is not None:
        (model.input_price, in_cur), (model.output_price, out_cur) = (
            with_unit(pair[0], unit), with_unit(pair[1], unit))
        model.currency = in_cur or out_cur
        return
    model.input_price, model.currency = cell_price(cell, unit)
    model.output_price = model.input_price


def cell_price(cell: str, unit: str) -> tuple[float | str, str | None]:
    price = parse_price(cell)
    return with_unit(price, unit) if isinstance(price, Money) else (price, None)


def with_unit(money: Money, unit: str) -> tuple[float, str | None]:
    """A table's stated unit for a bare number: its currency; per-thousand → per-million."""
    if money.currency is not None or not unit or not money.amount:
        return money.amount, money.currency
    currency = "CNY" if CNY.search(unit) else "USD" if USD.search(unit) else None
    amount = money.amount * 1000 if PER_THOUSAND.search(unit) else money.amount
    return amount, currency

