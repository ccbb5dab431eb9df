"""Prices: a cell or pair of cells → amount per million tokens and currency, with the unit a table
or section states for bare numbers."""

from __future__ import annotations

from tracker.errors import ParseError
from tracker.model import Model
from tracker.quantities import Money, parse_price, parse_price_pair
from tracker.sources.markdown import Document, label_key, mentions, plain
from tracker.sources.page.overview import FieldIndex, fields
from tracker.sources.page.tables import check_table, column, is_blank, is_foreign
from tracker.sources.page.vocabulary import (
    ALL_MODELS,
    CACHE_HIT,
    CACHE_MISS,
    CACHE_WRITE,
    CNY,
    CONTEXT_HEADERS,
    ID_WORDS,
    IN_OUT_SPLIT,
    INPUT_PRICE_HEADERS,
    MODEL_LIST_SPLIT,
    MODEL_WORDS,
    OUTPUT_PRICE_HEADERS,
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
    split = IN_OUT_SPLIT.match(cell)
    if split is not None:  # `$1.25-2.50/M (in), $5-10/M (out)`: each side its own (raw) price
        (model.input_price, in_cur), (model.output_price, out_cur) = (
            cell_price(split.group(1).strip(" ,，"), unit), cell_price(split.group(2), unit))
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



def model_named(name: str, ids: list[str]) -> str | None:
    """The one model id a display name stands for: `Gemini 2.5 Flash` → `gemini-2.5-flash`
    (the id's words start with the name's words; the shortest such id when one equals it)."""
    words = ID_WORDS.findall(name.lower())
    if not words:
        return None
    found = [key for key in ids if ID_WORDS.findall(key.lower())[:len(words)] == words]
    exact = [key for key in found if ID_WORDS.findall(key.lower()) == words]
    if len(exact) == 1:
        return exact[0]
    return found[0] if len(found) == 1 else None


def read_band_prices(doc: Document, index: FieldIndex, models: dict[str, Model],
                     path: str) -> None:
    """Prices by context band: a bold model label, then `| 上下文 | 输入 | 输出 |` with rows
    `≤ 128K`, `> 128K`. Each band is its own price fact, keyed `<model id> (<band>)`."""
    for table in doc.tables:
        header = table.header
        name = table.intro or table.sub
        if not name or not mentions(table.section, MODEL_WORDS) or is_foreign(table) \
                or label_key(header[0]) not in CONTEXT_HEADERS:
            continue
        input_col = column(header, INPUT_PRICE_HEADERS)
        output_col = column(header, OUTPUT_PRICE_HEADERS)
        if input_col is None or output_col is None:
            continue
        check_table(table, path)
        display = plain(name).rstrip(":：").strip()
        model_id = model_named(display, [k for k in models if " " not in k]) or display
        unit = price_unit(index, table.section)
        for line, cells in table.rows:
            band = "".join(plain(cells[0]).split())
            if is_blank(band):
                continue
            key = f"{model_id} ({band})"
            if key in models:
                raise ParseError(f"price band {band!r} is listed twice for {display}",
                                 path=path, line=line, hint="remove the duplicate row")
            band_model = models[key] = Model()
            for col, side in ((input_col, "input_price"), (output_col, "output_price")):
                if not is_blank(plain(cells[col])):
                    amount, currency = cell_price(plain(cells[col]), unit)
                    setattr(band_model, side, amount)
                    band_model.currency = band_model.currency or currency


def read_bullet_prices(doc: Document, index: FieldIndex, models: dict[str, Model]) -> None:
    """`**deepseek-chat & deepseek-coder：**` then `- 输入：¥1 / 百万 tokens`, `- 输出：…`,
    `- 输入（缓存命中）：…`: each named model's prices, where no table stated them."""
    ids = [key for key in models if " " not in key]
    for item in doc.items:
        if not mentions(item.section, MODEL_WORDS):
            continue
        side = _bullet_side(item.label)
        if side is None:
            continue
        group = plain(item.group).rstrip(":：")
        names = [n for n in MODEL_LIST_SPLIT.split(group) if n]
        targets = list(ids) if ALL_MODELS.match(group) else \
            [name if name in models else model_named(name, ids) for name in names]
        amount, currency = cell_price(plain(item.value), price_unit(index, item.section))
        for model_id in targets:
            if model_id is None or model_id not in models:
                continue
            model = models[model_id]
            if getattr(model, side) is None:
                setattr(model, side, amount)
                model.currency = model.currency or currency


def _bullet_side(label: str) -> str | None:
    """Which price a list item's label names, cache hits and writes apart from plain input."""
    if CACHE_MISS.search(label):
        return "input_price"
    if CACHE_HIT.search(label):
        return "cache_read_price"
    if CACHE_WRITE.search(label):
        return "cache_write_price"
    key = label_key(label)
    if key in INPUT_PRICE_HEADERS:
        return "input_price"
    if key in OUTPUT_PRICE_HEADERS:
        return "output_price"
    return None
