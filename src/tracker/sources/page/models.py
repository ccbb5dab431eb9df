"""Models tables: one row per model id, its lengths, prices and deprecation."""

from __future__ import annotations

from functools import lru_cache

from tracker.errors import ParseError
from tracker.model import Model, Service
from tracker.quantities import parse_length
from tracker.sources.markdown import (
    PARENTHETICAL,
    Document,
    Table,
    cell_id,
    label_key,
    mentions,
    plain,
)
from tracker.sources.page.overview import FieldIndex
from tracker.sources.page.prices import (
    cell_price,
    price_unit,
    read_band_prices,
    read_bullet_prices,
    single_price,
)
from tracker.sources.page.prose import read_prose_models
from tracker.sources.page.tables import check_table, column, is_blank, is_foreign, kept
from tracker.sources.page.vocabulary import (
    CONTEXT_HEADERS,
    DATE,
    DEPRECATED,
    FEATURE_HEADERS,
    ID_WORDS,
    INPUT_PRICE_HEADERS,
    MAX_IN_NOTE,
    MODEL_ID_HEADERS,
    MODEL_ID_LABELS,
    MODEL_WORDS,
    OUTPUT_HEADERS,
    OUTPUT_PRICE_HEADERS,
    OUTPUT_WORDS,
    PRICE_HEADERS,
    STRICT_ID_HEADERS,
)

# --- models and prices -----------------------------------------------------------------------

def read_models(doc: Document, index: FieldIndex, service: Service, path: str) -> None:
    models: dict[str, Model] = {}
    for table in doc.tables:
        id_col = kept(table, "model_id_column", _model_id_column)
        if id_col is None:
            continue
        check_table(table, path)
        unit = price_unit(index, table.section)
        for model_id, row in _table_models(table, id_col, unit, path):
            _merge(models.setdefault(model_id, Model()), row)
    _read_model_blocks(doc, models, path)
    _fold_display_names(models)
    read_prose_models(doc, models)
    read_band_prices(doc, index, models, path)
    read_bullet_prices(doc, index, models)
    _read_output_notes(doc, models)
    service.models = dict(sorted(models.items()))


def _model_id_column(table: Table) -> int | None:
    """The column of a models table's ids; None for any other table."""
    if not mentions(table.section, MODEL_WORDS) or is_foreign(table):
        return None
    id_col = column(table.header, STRICT_ID_HEADERS)
    return id_col if id_col is not None else column(table.header, MODEL_ID_HEADERS)


def _table_models(table: Table, id_col: int, unit: str, path: str) -> list[tuple[str, Model]]:
    """(model id, its row's facts) of each row of a models table, kept with the table (by the
    id column and unit, all they depend on but the table) for the versions that share it."""
    return kept(table, f"models:{id_col}:{unit}", lambda _: _models_of(table, id_col, unit, path))


def _models_of(table: Table, id_col: int, unit: str, path: str) -> list[tuple[str, Model]]:
    known: list[tuple[str, Model]] = []
    seen: set[str] = set()
    for line, cells in table.rows:
        model_id, struck = cell_id(cells[id_col])
        if not model_id:
            continue
        if model_id in seen:
            raise ParseError(f"model {model_id!r} is listed twice in one table", path=path,
                             line=line, hint="remove the duplicate row")
        seen.add(model_id)
        known.append((model_id, _model_row(table.header, cells, unit, struck)))
    return known


def _read_output_notes(doc: Document, models: dict[str, Model]) -> None:
    """`- deepseek-chat：标准模式，默认输出 4K（最大 8K）` under a models heading: the most that
    model can output, where no table stated it."""
    for item in doc.items:
        model = models.get(plain(item.label))
        if model is None or model.max_output is not None or not mentions(item.section,
                                                                           MODEL_WORDS):
            continue
        most = MAX_IN_NOTE.search(item.value)
        if most is not None and OUTPUT_WORDS.search(item.value[:most.start()]):
            length = parse_length(most.group(1))
            if isinstance(length, int):
                model.max_output = length


def _read_model_blocks(doc: Document, models: dict[str, Model], path: str) -> None:
    """`### Gemini 1.5 Pro`, `**Model ID:** `gemini-1.5-pro``, then a two-column table of its
    facts (`| 特性 | 详情 |`, rows `**上下文**`, `**价格**`, …) under the same heading."""
    for item in doc.fields:
        if label_key(item.label) not in MODEL_ID_LABELS or not mentions(item.section,
                                                                        MODEL_WORDS):
            continue
        model_id, struck = cell_id(item.value)
        if not model_id or " " in model_id:
            continue
        for table in doc.tables:
            if (table.section, table.sub) != (item.section, item.sub) or table.line < item.line \
                    or len(table.header) != 2 or label_key(table.header[0]) not in FEATURE_HEADERS:
                continue
            check_table(table, path)
            header = [cells[0] for _, cells in table.rows]
            values = [cells[1] for _, cells in table.rows]
            _merge(models.setdefault(model_id, Model()), _model_row(header, values, "", struck))
            break
        else:
            models.setdefault(model_id, Model())


def _fold_display_names(models: dict[str, Model]) -> None:
    """A pricing table's `Claude 3 Opus` is the models table's `claude-3-opus-20240229`.

    A name with spaces is a display name, not an id: when the words of exactly one id start
    with its words, its facts go to that id (the id's own statements win).
    """
    ids = {key: ID_WORDS.findall(key.lower()) for key in models if " " not in key}
    for name in [key for key in models if " " in key]:
        words = ID_WORDS.findall(name.lower())
        found = [key for key, tokens in ids.items() if words and tokens[:len(words)] == words]
        if len(found) == 1:
            _merge(models[found[0]], models.pop(name))


@lru_cache(maxsize=1024)
def _model_columns(header: tuple[str, ...]) -> tuple[tuple[int, str, str], ...]:
    """(index, role, unit hint) of the columns a models or pricing table states facts in.

    A header's parenthetical (`输入价格（元/百万 tokens）`) is that column's unit.
    """
    roles = (("context", CONTEXT_HEADERS), ("max_output", OUTPUT_HEADERS),
             ("input_price", INPUT_PRICE_HEADERS), ("output_price", OUTPUT_PRICE_HEADERS),
             ("price", PRICE_HEADERS))
    columns = []
    for index, name in enumerate(header):
        key = label_key(name)
        role = next((role for role, names in roles if key in names), None)
        if role is not None:
            columns.append((index, role, " ".join(PARENTHETICAL.findall(name))))
    return tuple(columns)


def _model_row(header: list[str], cells: list[str], unit: str, struck: bool) -> Model:
    """The facts of one row (shared between calls with the same row: read it, do not change
    it; ``_merge`` copies them)."""
    return _row_model(tuple(header), tuple(cells), unit, struck)


@lru_cache(maxsize=4096)  # a page's rows are the same in most of its versions
def _row_model(header: tuple[str, ...], cells: tuple[str, ...], unit: str, struck: bool) -> Model:
    model = Model()
    row_text = " ".join(cells)
    if struck or DEPRECATED.search(row_text):
        model.deprecated = True
        model.shutdown_date = _date(row_text)
    for index, role, column_unit in _model_columns(header):
        cell = plain(cells[index])
        if is_blank(cell):
            continue
        column_unit = column_unit or unit
        if role == "context" and model.context is None:
            model.context = parse_length(cell)
        elif role == "max_output" and model.max_output is None:
            most = MAX_IN_NOTE.search(cell)  # `默认 4K（最大 8K）`: the most it can give
            model.max_output = parse_length(most.group(1) if most else cell)
        elif role == "input_price" and model.input_price is None:
            model.input_price, currency = cell_price(cell, column_unit)
            model.currency = model.currency or currency
        elif role == "output_price" and model.output_price is None:
            model.output_price, currency = cell_price(cell, column_unit)
            model.currency = model.currency or currency
        elif role == "price" and model.input_price is None:
            single_price(model, cell, column_unit)
    return model



def _merge(into: Model, row: Model) -> None:
    """A model in several tables (models, then pricing): a field's first statement wins."""
    # spelled out, not a getattr loop over the names: once per row of every version of a page
    if into.context is None:
        into.context = row.context
    if into.max_output is None:
        into.max_output = row.max_output
    if into.input_price is None:
        into.input_price = row.input_price
    if into.output_price is None:
        into.output_price = row.output_price
    if into.currency is None:
        into.currency = row.currency
    if into.shutdown_date is None:
        into.shutdown_date = row.shutdown_date
    # a range such as `$2-6/M` in the models table gives way to the pricing table's figures
    if isinstance(into.input_price, str) and isinstance(row.input_price, float):
        into.input_price, into.output_price, into.currency = (
            row.input_price, row.output_price, row.currency)
    if row.deprecated:
        into.deprecated = True


def _date(text: str) -> str | None:
    """The first date in a deprecated row, as ISO `YYYY-MM-DD` (or `YYYY-MM`)."""
    match = DATE.search(text)
    if match is None:
        return None
    year, month, day = match.group(1), int(match.group(2)), match.group(3)
    if not 1 <= month <= 12:
        return None
    return f"{year}-{month:02d}-{int(day):02d}" if day else f"{year}-{month:02d}"
