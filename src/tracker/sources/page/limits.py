"""Quota tables: the service's own limits, per-tier and per-model limit tables, the reset rule."""

from __future__ import annotations

from functools import lru_cache

from tracker.model import LIMIT_KEYS, Quantity, Service
from tracker.quantities import parse_count, parse_flag, parse_length
from tracker.sources.markdown import Document, Table, label_key, mentions, plain
from tracker.sources.page.credits import recurring_credits, trial_credits
from tracker.sources.page.overview import FieldIndex, fields, read_requirements
from tracker.sources.page.prices import model_named
from tracker.sources.page.tables import (
    check_table,
    column,
    heading_name,
    is_blank,
    is_foreign,
    kept,
)
from tracker.sources.page.vocabulary import (
    CREDIT_CARD,
    DEFAULT_TIERS,
    FREE_COLUMN_WORDS,
    LENGTH_KEYS,
    LIMIT_ROWS,
    MODEL_ID_HEADERS,
    MODEL_WORDS,
    MONTHLY_ROWS,
    NOTES_HEADERS,
    PER_DAY,
    PROSE_AMOUNT,
    PROSE_PERIODS,
    QUOTA_LABEL_HEADERS,
    QUOTA_SUFFIX,
    QUOTA_VALUE_HEADERS,
    QUOTA_WORDS,
    RANGE,
    RATE_PARTS,
    RATE_ROWS,
    RATE_UNITS,
    REQUEST_UNIT,
    RESET,
    RESET_ROWS,
    SHARED,
    TRIAL,
)

# --- quotas ----------------------------------------------------------------------------------

def _quota_columns(table: Table) -> list[tuple[int, str | None]] | None:
    return kept(table, "quota_columns", _work_out_quota_columns)


def _work_out_quota_columns(table: Table) -> list[tuple[int, str | None]] | None:
    """The value columns of a quota table (label in the first column), or None if it is not one.

    Each is (column, tier name or None for the table's own). `| 限制项 | 配额 | 说明 |` has one;
    a table without a 配额-like header has one per tier, the table's own the free one:
    `| 限制类型 | 免费层级 | 说明 |`, `| 限制类型 | 基础层 | 升级层（$10） |`; with no free
    column (`| 限制项 | GPT-4o | GPT-4o-mini |`) every column is a tier.
    """
    if not mentions(table.section, QUOTA_WORDS) or is_foreign(table) or len(table.header) < 2:
        return None
    if label_key(table.header[0]) not in QUOTA_LABEL_HEADERS:
        return None
    value = column(table.header[1:], QUOTA_VALUE_HEADERS)
    if value is not None:
        return [(value + 1, None)]
    columns = [i for i, cell in enumerate(table.header)
               if i and label_key(cell) not in NOTES_HEADERS]
    own = next((i for i in columns if mentions(table.header[i], FREE_COLUMN_WORDS)), None)
    return [(i, None if i == own else heading_name(table.header[i])) for i in columns] or None


def _limit_columns(table: Table) -> list[tuple[int, str]] | None:
    return kept(table, "limit_columns", _work_out_limit_columns)


def _work_out_limit_columns(table: Table) -> list[tuple[int, str]] | None:
    """The limit columns of a table with one row per tier or model, or None if it is not one.

    `| 账户等级 | RPM | TPM | 说明 |`, `| 模型名称 | 每日请求数 | 每分钟请求数 |`: each row is a
    tier named by its first cell. A models table (read by read_models) is not one.
    """
    header = table.header
    if not mentions(table.section, QUOTA_WORDS) or is_foreign(table) or len(header) < 2:
        return None
    if label_key(header[0]) in QUOTA_LABEL_HEADERS:
        return None
    if mentions(table.section, MODEL_WORDS) and column(header, MODEL_ID_HEADERS) is not None:
        return None
    columns = [(i, key) for i, cell in enumerate(header) if i and (key := _header_limit(cell))]
    return columns or None


def _header_limit(cell: str) -> str | None:
    """The limit a column header names: `每日请求数`, `RPM`, `每日 Tokens 配额` (配额 dropped)."""
    key = label_key(cell)
    return LIMIT_ROWS.get(key) or LIMIT_ROWS.get(QUOTA_SUFFIX.sub("", key))



def _tier_name(table: Table, several: bool) -> str | None:
    """Which tier a quota table states: its bold intro, or its own `###` when there are several."""
    name = table.intro or (table.sub if several else None)
    if not name or label_key(name) in DEFAULT_TIERS:
        return None
    return heading_name(name)


def read_quotas(doc: Document, index: FieldIndex, service: Service, path: str) -> None:
    tables = [(table, cols) for table in doc.tables
              if (cols := _quota_columns(table)) is not None]
    # a table of notes beside the quota table (`| 项目 | 详情 |`: 获取方式…) does not make it a tier
    several = sum(1 for table, _ in tables if kept(table, "limit_rows", _has_limit_rows)) > 1
    for table, columns in tables:
        check_table(table, path)
        tier = _tier_name(table, several)
        for value_col, column_tier in columns:
            _read_quota_column(table, value_col, column_tier or tier, column_tier is None,
                               service)
    for table in doc.tables:
        limit_columns = _limit_columns(table)
        if limit_columns is None:
            continue
        check_table(table, path)
        for _, cells in table.rows:
            name = heading_name(cells[0])
            if name is None:
                continue
            limits = service.quota_tiers.setdefault(name, {})
            for col, key in limit_columns:
                value = plain(cells[col])
                if not is_blank(value):
                    limits.setdefault(key, limit_value(key, value))
            if not limits:
                del service.quota_tiers[name]
    _read_shared_limits(doc, service)
    # rows in any order give the same snapshot, byte for byte
    service.limits = _in_key_order(service.limits)
    service.quota_tiers = {name: _in_key_order(limits)
                     for name, limits in sorted(service.quota_tiers.items())}
    reset = next((f for f in fields(index, RESET)
                  if mentions(f.sub, ("重置", "reset")) and plain(f.value)), None)
    if reset is not None:
        service.quota_reset = plain(reset.value)


def _has_limit_rows(table: Table) -> bool:
    return any(label_key(cells[0]) in LIMIT_ROWS or label_key(cells[0]) in MONTHLY_ROWS
               for _, cells in table.rows)


# What a quota row states whatever the service: its label key, value and notes, whether it says a
# tier is open without a card, and its limit (key and quantity) when it names one.
_QuotaRow = tuple[list[str], str, str, str, bool, str | None, Quantity | None]


def _quota_rows(table: Table, value_col: int) -> list[_QuotaRow]:
    return kept(table, f"quota_rows:{value_col}",
                lambda table: [_quota_row(cells, value_col) for _, cells in table.rows])


def _quota_row(cells: list[str], value_col: int) -> _QuotaRow:
    label, value = label_key(cells[0]), plain(cells[value_col])
    notes = " ".join(c for i, c in enumerate(cells) if i not in (0, value_col))
    # `| 月度调用 | 1,000 calls | 无需信用卡 |`: a tier open without a card says the service needs
    # none to start; a cell asking for one is that tier's, not the entry's
    open_without_card = label not in CREDIT_CARD \
        and read_requirements(plain(" ".join(cells[1:])))[1] is False
    key = None if is_blank(value) else _limit_key(label, value)
    return (cells, label, value, notes, open_without_card, key,
            None if key is None else limit_value(key, value))


def _read_quota_column(table: Table, value_col: int, tier: str | None, own: bool,
                       service: Service) -> None:
    """One value column of a quota table: its limits; the service's own column also states
    the trial credits, the credit-card flag and the reset."""
    limits = service.limits if tier is None else service.quota_tiers.setdefault(tier, {})
    general: dict[str, Quantity] = {}  # a "速率限制" row yields to a row naming its limit
    for cells, label, value, notes, open_without_card, key, quantity in \
            _quota_rows(table, value_col):
        if service.credit_card_required is None and open_without_card:
            service.credit_card_required = False
        if is_blank(value):
            continue
        if key is not None and quantity is not None:
            target = general if label in RATE_ROWS else limits
            target.setdefault(key, quantity)
        elif not own:
            continue
        elif label in TRIAL and service.trial_credits is None:
            service.trial_credits = trial_credits(value, notes)
        elif label in MONTHLY_ROWS and service.trial_credits is None \
                and (recurring := recurring_credits(cells[0], value)) is not None:
            service.trial_credits = recurring  # `每月免费额度 | $5`: credits every month
        elif label in CREDIT_CARD and parse_flag(value) is not None:
            service.credit_card_required = parse_flag(value)
        elif label in RESET_ROWS and service.quota_reset is None:
            service.quota_reset = value
    for key, quantity in general.items():
        limits.setdefault(key, quantity)
    if tier is not None and not limits:
        del service.quota_tiers[tier]


def _in_key_order(limits: dict[str, Quantity]) -> dict[str, Quantity]:
    return {key: limits[key] for key in LIMIT_KEYS if key in limits}


def _limit_key(label: str, value: str) -> str | None:
    """The limit a row states; unknown rows are not guessed at."""
    if label in LIMIT_ROWS:
        return LIMIT_ROWS[label]
    if label in RATE_ROWS:
        # "速率限制" is a per-minute request rate (how the site uses it) unless its unit says
        # tokens or a day.
        per_day = PER_DAY.search(value)
        if "token" in value.lower():
            return "tokens_per_day" if per_day else "tokens_per_minute"
        return "requests_per_day" if per_day else "requests_per_minute"
    if label in MONTHLY_ROWS:
        if "token" in value.lower():
            return "tokens_per_month"
        if REQUEST_UNIT.search(value):
            return "requests_per_month"
    return None


@lru_cache(maxsize=4096)
def limit_value(key: str, value: str) -> Quantity:
    read = parse_length if key in LENGTH_KEYS else parse_count
    bounds = RANGE.match(value)
    if bounds is not None:  # `20,000-1,000,000`: both bounds kept, written out the same way
        low, high = read(bounds.group(1)), read(bounds.group(2))
        if isinstance(low, int) and isinstance(high, int) and low <= high:
            return f"{low:,}-{high:,}"
    return read(value)




def _read_shared_limits(doc: Document, service: Service) -> None:
    """A limit every model shares, stated as a `**Label：** text` line in the quota section
    (`所有 Gemini 模型共享每日 1500 次请求的总配额`): the service's own, unless a table says it."""
    for item in doc.fields:
        if not mentions(item.section, QUOTA_WORDS):
            continue
        value = plain(item.value)
        if not SHARED.search(value):
            continue
        amount = PROSE_AMOUNT.search(value)
        period = next((name for name, rx in PROSE_PERIODS if rx.search(value)), None)
        if amount is None or period is None:
            continue
        unit = "tokens" if amount.group(2).lower().startswith("token") else "requests"
        key = f"{unit}_per_{period}"
        if key in LIMIT_KEYS:
            service.limits.setdefault(key, parse_count(amount.group(1)))


def read_model_rate_lines(doc: Document, service: Service) -> None:
    """`#### GPT-4o（推荐）` then `- **速率限制：** 10 RPM，50 RPD` in the models section: the
    limits of the model the heading names (keyed by its id, as per-model limit tables are)."""
    ids = [key for key in service.models if " " not in key]
    for item in doc.fields:
        if not item.sub or not mentions(item.section, MODEL_WORDS) \
                or label_key(item.label) not in RATE_ROWS:
            continue
        name = heading_name(item.sub)
        model_id = model_named(name, ids) if name else None
        if model_id is None:
            continue
        limits = service.quota_tiers.setdefault(model_id, {})
        for amount, unit in RATE_PARTS.findall(plain(item.value)):
            limits.setdefault(RATE_UNITS[unit.lower()], parse_count(amount))
        if not limits:
            del service.quota_tiers[model_id]
    service.quota_tiers = {name: _in_key_order(limits)
                           for name, limits in sorted(service.quota_tiers.items())}
