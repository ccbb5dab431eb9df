"""Service pages (Markdown, zh/en) → ``Service``: the facts one page states about its service.

Owns what the blocks of a page mean: the overview fields, the quota tables (default and per tier),
the models and pricing tables, and which tables are not this service's facts (comparisons with
competitors, other vendors' prices, self-hosting requirements, task and gateway-provider tables).
Sections are recognised by heading words, never emoji; tables by their header cells. Every cell
value goes through ``tracker.quantities``; what does not parse keeps its raw text. The only
exception raised is ``ParseError``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.errors import ParseError
from tracker.model import LIMIT_KEYS, Model, Quantity, Service, TrialCredits
from tracker.paths import page_identity  # noqa: F401 - one rule for pages, re-exported
from tracker.quantities import (
    Money,
    parse_count,
    parse_days,
    parse_flag,
    parse_length,
    parse_money,
    parse_price,
    parse_price_pair,
    parse_service_type,
)
from tracker.sources.markdown import (
    PARENTHETICAL,
    Document,
    Field,
    Table,
    cell_id,
    first_url,
    label_key,
    load_front_matter,
    mentions,
    plain,
    scan_page,
)

MAX_CELL_CHARS = 2000



# Section headings, matched as substrings of the heading key.
_OVERVIEW_WORDS = ("服务概览", "服务信息", "基本信息", "overview", "serviceinfo")
_QUOTA_WORDS = ("配额", "限制", "额度", "积分", "成本", "quota", "limit", "credit")
_MODEL_WORDS = ("模型", "价格", "定价", "成本", "费用", "model", "pric", "cost")
_RESOURCE_WORDS = ("相关资源", "资源", "链接", "resources", "links")
_FACT_WORDS = _OVERVIEW_WORDS + _QUOTA_WORDS + _MODEL_WORDS + _RESOURCE_WORDS
_COMPARISON_WORDS = ("对比", "比较", "竞品", "comparison", "compare", "vs")

# Overview labels (keys as label_key() gives them).
_NAME = {"服务名称", "servicename"}
_PROVIDER = {"所属提供者", "提供者", "所属提供商", "提供商", "provider"}
_FOOTER_PROVIDER = {"服务提供者", "serviceprovider", "providedby"}
_ENDPOINT = {"api端点", "端点", "apiendpoint", "endpoint", "baseurl", "apibaseurl", "api地址",
             "接口地址"}
# older pages state both `服务类型：API 服务` (a category) and `免费类型：试用积分…` (the tier)
_FREE_TYPE = {"免费类型", "freetype"}
_TIER = {"服务类型", "servicetype"} | _FREE_TYPE
_REQUIREMENTS = {"注册要求", "registrationrequirements", "requirements"}
_CREDIT_CARD = {"需要信用卡", "信用卡", "creditcardrequired", "creditcard"}
_TRIAL = {"试用积分", "免费积分", "赠送金额", "赠送额度", "trialcredits", "freecredits"}
_RESET = {"每日配额", "dailyquota", "每日重置", "daily"}
_RESET_ROWS = {"配额重置", "重置时间", "配额重置时间", "quotareset", "quotaresettime", "resettime"}
_PRICE_UNIT = {"价格单位", "计价单位", "单位", "priceunit", "pricingunit", "unit"}
_KNOWN_LABELS = (_NAME | _PROVIDER | _FOOTER_PROVIDER | _ENDPOINT | _TIER | _REQUIREMENTS
                 | _CREDIT_CARD | _TRIAL | _RESET | _PRICE_UNIT)
_DEFAULT_TIERS = {"免费层级限制", "免费层级", "免费额度", "配额和限制", "freetierlimits",
                  "freetier", "freetierlimitations", "quotasandlimits", "quotasandlimitations"}

# Quota table rows → limit keys; lengths go through parse_length, the rest through parse_count.
_LIMIT_ROWS = {
    **dict.fromkeys(("每日请求数", "每天请求数", "每日请求", "日请求数", "dailyrequests",
                     "requestsperday", "rpd"), "requests_per_day"),
    **dict.fromkeys(("每分钟请求数", "每分钟请求", "requestsperminute", "rpm"),
                    "requests_per_minute"),
    **dict.fromkeys(("每小时请求数", "每小时请求", "hourlyrequests", "requestsperhour"),
                    "requests_per_hour"),
    **dict.fromkeys(("每月请求数", "每月请求", "monthlyrequests", "requestspermonth"),
                    "requests_per_month"),
    **dict.fromkeys(("每日token数", "每天token数", "每日token", "dailytoken", "tokenperday",
                     "tpd"), "tokens_per_day"),
    **dict.fromkeys(("每分钟token数", "每分钟token", "tokenperminute", "tpm"),
                    "tokens_per_minute"),
    **dict.fromkeys(("每月token数", "每月token", "monthlytoken", "tokenpermonth"),
                    "tokens_per_month"),
    **dict.fromkeys(("并发请求", "并发请求数", "最大并发请求", "最大并发", "并发数",
                     "concurrentrequests", "maxconcurrentrequests", "concurrency"), "concurrency"),
    **dict.fromkeys(("最大上下文长度", "最大上下文", "每次最大输入token", "最大输入token",
                     "输入上下文", "maxcontextlength", "maxcontext", "maxinputtoken",
                     "inputcontext"), "max_context"),
    **dict.fromkeys(("最大输出长度", "最大输出", "每次最大输出token", "最大输出token", "输出长度",
                     "maxoutputlength", "maxoutput", "maxoutputtoken", "outputlength"),
                    "max_output"),
}
# Rows whose unit decides the key: tokens → tokens_per_month, requests → requests_per_month.
_MONTHLY_ROWS = {"每月免费额度", "月度配额", "每月配额", "每月额度", "月度调用", "每月调用",
                 "monthlyquota", "monthlyfreequota", "monthlycalls"}
_RATE_ROWS = {"速率限制", "速率", "频率限制", "ratelimit", "ratelimits"}
_PER_DAY = re.compile(r"/\s*(?:天|日|day)|per\s+day|每[天日]|\brpd\b|\btpd\b", re.IGNORECASE)
_LENGTH_KEYS = {"max_context", "max_output"}
_REQUEST_UNIT = re.compile(r"次|请求|request|call", re.IGNORECASE)

# Table headers.
_QUOTA_LABEL_HEADERS = {"限制项", "项目", "限制", "限制类型", "配额项", "limitation", "limititem",
                        "limit", "item"}
_NOTES_HEADERS = {"说明", "备注", "注释", "描述", "notes", "note", "description", "remarks",
                   "comment"}
_FREE_COLUMN_WORDS = ("免费", "基础", "试用", "free", "basic", "trial")
_QUOTA_SUFFIX = re.compile(r"(?:配额|限额|额度|quota|limit)$")
_QUOTA_VALUE_HEADERS = {"配额", "限额", "额度", "免费额度", "免费配额", "数值", "quota", "value",
                        "limit", "freequota"}
_MODEL_ID_HEADERS = {"模型名称", "模型", "模型id", "modelid", "model", "modelname"}
# `| 模型名称 | 模型 ID |`: the display name beside the id; the id column wins
_STRICT_ID_HEADERS = {"模型id", "modelid"}
_CONTEXT_HEADERS = {"上下文长度", "上下文", "上下文窗口", "最大上下文", "contextlength", "context",
                    "contextwindow"}
_OUTPUT_HEADERS = {"输出长度", "最大输出", "最大输出长度", "outputlength", "maxoutput",
                   "maxoutputlength"}
_INPUT_PRICE_HEADERS = {"输入价格", "输入", "inputprice", "input"}
_OUTPUT_PRICE_HEADERS = {"输出价格", "输出", "outputprice", "output"}
_PRICE_HEADERS = {"价格", "定价", "费用", "price", "pricing"}
# A table with one of these headers lists other things than this service's models or quotas.
_FOREIGN_HEADERS = ("相对便宜", "cheaper", "要求", "requirement", "任务类型", "tasktype",
                    "支持状态", "supportstatus")

_URL = re.compile(r"https?://[^\s`<>()\[\]（）\"'，。、]+")
_PROVIDER_LINK = re.compile(r"/providers/([^/)\s#?\"']+)")
_DEPRECATED = re.compile(r"弃用|下线|停用|deprecat|retire|sunset|end[- ]of[- ]life", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2}))?")
_ID_WORDS = re.compile(r"[^\W_]+")
_BLANK_CELLS = {"", "-", "—", "–", "--", "/", "n/a", "N/A"}
_CNY = re.compile(r"人民币|元|¥|￥|cny|rmb", re.IGNORECASE)
_USD = re.compile(r"美元|\$|usd", re.IGNORECASE)
_PER_THOUSAND = re.compile(r"千\s*token|1k\s*token|/\s*k\b", re.IGNORECASE)

_REQUIREMENT_WORDS = (
    ("credit_card", re.compile(r"信用卡|绑卡|银行卡|credit\s*card|payment\s*method", re.I)),
    ("real_name", re.compile(r"实名|身份认证|身份验证|real[-\s]?name|identity|\bkyc\b", re.I)),
    ("phone", re.compile(r"手机|短信|电话|phone|sms", re.I)),
    ("waitlist", re.compile(r"排队|申请(?!\s*(?:api|key|密钥|令牌|token))|候补|waitlist|wait list"
                            r"|apply|application|invit", re.I)),
    ("registration", re.compile(r"注册|账号|账户|登录|regist|sign[\s-]?up|account|log\s?in",
                                re.I)),
)
_NEGATION_BEFORE = re.compile(r"无需|无须|不需要|不需|不用|不要求|不必|免(?!费)|无|\bno\b|\bnot\b"
                              r"|without|n't", re.I)
_NEGATION_AFTER = re.compile(r"not\s+(?:required|needed)|optional|可选|非必[须需]|不需要|不必",
                             re.I)
_POSITIVE = re.compile(r"需要|需|要求|必须|requires?|required|need", re.I)
_CLAUSE = re.compile(r"[，,;；。（）()|]|但是?|\bbut\b", re.I)


def _holds_facts(heading: str) -> bool:
    """The `##` sections read in full: overview, quotas, models and prices, resources."""
    return mentions(heading, _FACT_WORDS)


def parse_page(raw: bytes, path: str, default_lang: str = "zh") -> Service:
    """Parse one version of a service page. Raises ParseError (with the line) and nothing else."""
    service_id, lang = page_identity(path, default_lang)
    doc = scan_page(raw, path, _holds_facts)
    service = Service(id=service_id, path=path, lang=lang)
    index = _index_fields(doc)
    _read_overview(doc, index, service, path)
    _read_quotas(doc, index, service, path)
    _read_models(doc, index, service, path)
    return service


# --- overview --------------------------------------------------------------------------------

FieldIndex = dict[str, list[Field]]


def _index_fields(doc: Document) -> FieldIndex:
    """The fields with a label this module reads, by label key: looked up once per page."""
    index: FieldIndex = {}
    for item in doc.fields:
        key = label_key(item.label)
        if key in _KNOWN_LABELS:
            index.setdefault(key, []).append(item)
    return index


def _fields(index: FieldIndex, labels: set[str]) -> list[Field]:
    """The fields with any of the labels, in page order."""
    found = [item for label in labels for item in index.get(label, ())]
    found.sort(key=lambda item: item.line)
    return found


def _in_overview(item: Field) -> bool:
    return not item.section or mentions(item.section, _OVERVIEW_WORDS)


def _overview_field(index: FieldIndex, labels: set[str]) -> Field | None:
    """A field with one of the labels in the overview (or before any `##`).

    Plain lines win over list items: the template's overview callout has bullets such as
    `- **API 端点**：如果包含占位符…` that explain the format rather than state a fact.
    """
    found = [item for item in _fields(index, labels) if _in_overview(item)]
    return next((item for item in found if not item.bullet), found[0] if found else None)


def _any_field(index: FieldIndex, labels: set[str], bullets: bool = True) -> Field | None:
    """A field anywhere, plain lines first, overview list items (format tips) last."""
    found = [item for item in _fields(index, labels) if bullets or not item.bullet]
    found.sort(key=lambda item: (item.bullet, item.bullet and _in_overview(item)))
    return found[0] if found else None


def _read_overview(doc: Document, index: FieldIndex, service: Service, path: str) -> None:
    # Parsed even when a 服务名称 line makes the title moot: YAML that Hugo refuses must be a
    # warning, not a silent pass. Cached by text, so unchanged front matter costs one lookup.
    front_matter = load_front_matter(doc.front_matter, path) \
        if doc.front_matter is not None else {}
    name = _overview_field(index, _NAME)
    if name is not None and plain(name.value):
        service.name = plain(name.value)
    else:
        title = front_matter.get("title")
        service.name = str(title).strip() if title not in (None, "") else None
    service.provider = _provider(index)
    endpoint = _any_field(index, _ENDPOINT)
    if endpoint is not None:
        service.endpoint = first_url(endpoint.value)
    tier = _overview_field(index, _FREE_TYPE) or _overview_field(index, _TIER)
    if tier is not None and plain(tier.value):
        service.tier = parse_service_type(plain(tier.value))
        service.trial_credits = _credits_in_parentheses(plain(tier.value))
    requirements = _overview_field(index, _REQUIREMENTS)
    if requirements is not None:
        service.requirements, service.credit_card_required = _requirements(
            plain(requirements.value))
    card = _overview_field(index, _CREDIT_CARD)
    if card is not None and parse_flag(plain(card.value)) is not None:
        service.credit_card_required = parse_flag(plain(card.value))
    credits = _overview_field(index, _TRIAL)
    if credits is not None and plain(credits.value):
        service.trial_credits = _trial_credits(plain(credits.value), "")


def _provider(index: FieldIndex) -> str | None:
    """The slug of the `/providers/<slug>` link on the provider line, else in the footer."""
    footer = _any_field(index, _FOOTER_PROVIDER, bullets=False)
    for item in (_overview_field(index, _PROVIDER), footer):
        match = _PROVIDER_LINK.search(item.value) if item is not None else None
        if match:
            return match.group(1)
    return None


def _credits_in_parentheses(text: str) -> TrialCredits | None:
    """`试用积分（¥5，7天有效）` → TrialCredits(5, CNY, 7); None when no amount is stated."""
    if parse_service_type(text) != "trial-credits":
        return None
    for inner in re.findall(r"[（(]([^（）()]*)[）)]", text):
        money = parse_money(inner)
        if isinstance(money, Money):
            return TrialCredits(money.amount, money.currency, parse_days(inner))
    return None


def _trial_credits(value: str, notes: str) -> TrialCredits:
    """A credits cell; the template puts the validity in the notes column, so read it there too."""
    money = parse_money(value)
    days = parse_days(value)
    if days is None and notes:
        days = parse_days(notes)
    if isinstance(money, Money):
        return TrialCredits(money.amount, money.currency, days)
    return TrialCredits(money, None, days)


def _requirements(text: str) -> tuple[list[str], bool | None]:
    """Requirement names a registration text states, and what it says about a credit card."""
    found: list[str] = []
    card: bool | None = None
    for clause in _CLAUSE.split(text):
        hits = sorted((m.start(), m.end(), name) for name, pattern in _REQUIREMENT_WORDS
                      for m in pattern.finditer(clause))
        for index, (start, end, name) in enumerate(hits):
            following = hits[index + 1][0] if index + 1 < len(hits) else len(clause)
            negated = _negated(clause, start, end, following)
            if name == "credit_card":
                card = not negated if card is None else card
            if not negated and name not in found:
                found.append(name)
    return found, card


def _negated(clause: str, start: int, end: int, following: int) -> bool:
    """A negation before the word (with no `需要` in between) or right after it (`可选`)."""
    before = None
    for match in _NEGATION_BEFORE.finditer(clause, 0, start):
        before = match
    if before is not None and not _POSITIVE.search(clause, before.end(), start):
        return True
    return _NEGATION_AFTER.search(clause, end, following) is not None


# --- tables ----------------------------------------------------------------------------------

def _check_table(table: Table, path: str) -> None:
    """A facts table must be well formed: a separator line, rows, the header's number of cells."""
    width = len(table.header)
    if table.separator_line is None:
        raise ParseError("table has no separator line under its header", path=path,
                         line=table.line, hint="add a line like '|---|---|' under the header")
    if table.separator_cells != width:
        raise ParseError(f"table separator has {table.separator_cells} cells, header {width}",
                         path=path, line=table.separator_line,
                         hint="give the separator one '---' per column")
    if not table.body:
        # half an edit, not a statement: read as "no models" it would tell every model removed,
        # and the next version every one added again
        raise ParseError("table has a header but no rows", path=path, line=table.line,
                         hint="add the table's rows, or remove its header and separator")
    for line, cells in [(table.line, table.header), *table.rows]:
        if len(cells) != width:
            raise ParseError(f"table row has {len(cells)} cells, header has {width}", path=path,
                             line=line, hint="add or remove cells, or escape a '|' as '\\|'")
        if any(len(cell) > MAX_CELL_CHARS for cell in cells):
            raise ParseError(f"table cell longer than {MAX_CELL_CHARS} characters", path=path,
                             line=line, hint="a cell holds one value; move prose out of the table")


def _is_foreign(table: Table) -> bool:
    """Comparisons with competitors, other vendors' prices, requirements, tasks, gateways."""
    if mentions(table.section, _COMPARISON_WORDS) or mentions(table.sub, _COMPARISON_WORDS):
        return True
    return any(mentions(cell, _FOREIGN_HEADERS) for cell in table.header)


def _column(header: list[str], names: set[str]) -> int | None:
    return next((i for i, cell in enumerate(header) if label_key(cell) in names), None)


def _is_blank(cell: str) -> bool:
    return cell in _BLANK_CELLS


# --- quotas ----------------------------------------------------------------------------------

def _quota_columns(table: Table) -> list[tuple[int, str | None]] | None:
    """The value columns of a quota table (label in the first column), or None if it is not one.

    Each is (column, tier name or None for the table's own). `| 限制项 | 配额 | 说明 |` has one;
    a table without a 配额-like header has one per tier, the table's own the free one:
    `| 限制类型 | 免费层级 | 说明 |`, `| 限制类型 | 基础层 | 升级层（$10） |`; with no free
    column (`| 限制项 | GPT-4o | GPT-4o-mini |`) every column is a tier.
    """
    if not mentions(table.section, _QUOTA_WORDS) or _is_foreign(table) or len(table.header) < 2:
        return None
    if label_key(table.header[0]) not in _QUOTA_LABEL_HEADERS:
        return None
    value = _column(table.header[1:], _QUOTA_VALUE_HEADERS)
    if value is not None:
        return [(value + 1, None)]
    columns = [i for i, cell in enumerate(table.header)
               if i and label_key(cell) not in _NOTES_HEADERS]
    own = next((i for i in columns if mentions(table.header[i], _FREE_COLUMN_WORDS)), None)
    return [(i, None if i == own else _heading_name(table.header[i])) for i in columns] or None


def _limit_columns(table: Table) -> list[tuple[int, str]] | None:
    """The limit columns of a table with one row per tier or model, or None if it is not one.

    `| 账户等级 | RPM | TPM | 说明 |`, `| 模型名称 | 每日请求数 | 每分钟请求数 |`: each row is a
    tier named by its first cell. A models table (read by _read_models) is not one.
    """
    header = table.header
    if not mentions(table.section, _QUOTA_WORDS) or _is_foreign(table) or len(header) < 2:
        return None
    if label_key(header[0]) in _QUOTA_LABEL_HEADERS:
        return None
    if mentions(table.section, _MODEL_WORDS) and _column(header, _MODEL_ID_HEADERS) is not None:
        return None
    columns = [(i, key) for i, cell in enumerate(header) if i and (key := _header_limit(cell))]
    return columns or None


def _header_limit(cell: str) -> str | None:
    """The limit a column header names: `每日请求数`, `RPM`, `每日 Tokens 配额` (配额 dropped)."""
    key = label_key(cell)
    return _LIMIT_ROWS.get(key) or _LIMIT_ROWS.get(_QUOTA_SUFFIX.sub("", key))


def _heading_name(text: str) -> str | None:
    """A tier name from a heading, intro or header: parentheticals, colons and emoji dropped."""
    name = PARENTHETICAL.sub("", plain(text)).strip().rstrip(":：").strip()
    return re.sub(r"^[^\w]+|[^\w)）]+$", "", name) or None


def _tier_name(table: Table, several: bool) -> str | None:
    """Which tier a quota table states: its bold intro, or its own `###` when there are several."""
    name = table.intro or (table.sub if several else None)
    if not name or label_key(name) in _DEFAULT_TIERS:
        return None
    return _heading_name(name)


def _read_quotas(doc: Document, index: FieldIndex, service: Service, path: str) -> None:
    tables = [(table, cols) for table in doc.tables
              if (cols := _quota_columns(table)) is not None]
    # a table of notes beside the quota table (`| 项目 | 详情 |`: 获取方式…) does not make it a tier
    several = sum(1 for table, _ in tables if any(
        label_key(cells[0]) in _LIMIT_ROWS or label_key(cells[0]) in _MONTHLY_ROWS
        for _, cells in table.rows)) > 1
    for table, columns in tables:
        _check_table(table, path)
        tier = _tier_name(table, several)
        for value_col, column_tier in columns:
            _read_quota_column(table, value_col, column_tier or tier, column_tier is None,
                               service)
    for table in doc.tables:
        limit_columns = _limit_columns(table)
        if limit_columns is None:
            continue
        _check_table(table, path)
        for _, cells in table.rows:
            name = _heading_name(cells[0])
            if name is None:
                continue
            limits = service.tiers.setdefault(name, {})
            for col, key in limit_columns:
                value = plain(cells[col])
                if not _is_blank(value):
                    limits.setdefault(key, _limit_value(key, value))
            if not limits:
                del service.tiers[name]
    # rows in any order give the same snapshot, byte for byte
    service.limits = _in_key_order(service.limits)
    service.tiers = {name: _in_key_order(limits)
                     for name, limits in sorted(service.tiers.items())}
    reset = next((f for f in _fields(index, _RESET)
                  if mentions(f.sub, ("重置", "reset")) and plain(f.value)), None)
    if reset is not None:
        service.quota_reset = plain(reset.value)


def _read_quota_column(table: Table, value_col: int, tier: str | None, own: bool,
                       service: Service) -> None:
    """One value column of a quota table: its limits; the service's own column also states
    the trial credits, the credit-card flag and the reset."""
    limits = service.limits if tier is None else service.tiers.setdefault(tier, {})
    general: dict[str, Quantity] = {}  # a "速率限制" row yields to a row naming its limit
    for _, cells in table.rows:
        label, value = label_key(cells[0]), plain(cells[value_col])
        notes = " ".join(c for i, c in enumerate(cells) if i not in (0, value_col))
        if _is_blank(value):
            continue
        key = _limit_key(label, value)
        if key is not None:
            target = general if label in _RATE_ROWS else limits
            target.setdefault(key, _limit_value(key, value))
        elif not own:
            continue
        elif label in _TRIAL and service.trial_credits is None:
            service.trial_credits = _trial_credits(value, notes)
        elif label in _CREDIT_CARD and parse_flag(value) is not None:
            service.credit_card_required = parse_flag(value)
        elif label in _RESET_ROWS and service.quota_reset is None:
            service.quota_reset = value
    for key, quantity in general.items():
        limits.setdefault(key, quantity)
    if tier is not None and not limits:
        del service.tiers[tier]


def _in_key_order(limits: dict[str, Quantity]) -> dict[str, Quantity]:
    return {key: limits[key] for key in LIMIT_KEYS if key in limits}


def _limit_key(label: str, value: str) -> str | None:
    """The limit a row states; unknown rows are not guessed at."""
    if label in _LIMIT_ROWS:
        return _LIMIT_ROWS[label]
    if label in _RATE_ROWS:
        # "速率限制" is a per-minute request rate (how the site uses it) unless its unit says
        # tokens or a day.
        per_day = _PER_DAY.search(value)
        if "token" in value.lower():
            return "tokens_per_day" if per_day else "tokens_per_minute"
        return "requests_per_day" if per_day else "requests_per_minute"
    if label in _MONTHLY_ROWS:
        if "token" in value.lower():
            return "tokens_per_month"
        if _REQUEST_UNIT.search(value):
            return "requests_per_month"
    return None


def _limit_value(key: str, value: str) -> Quantity:
    return parse_length(value) if key in _LENGTH_KEYS else parse_count(value)


# --- models and prices -----------------------------------------------------------------------

def _price_unit(index: FieldIndex, section: str) -> str:
    """The `**价格单位：** 人民币/百万 tokens` note of a section, which bare numbers inherit."""
    return next((plain(f.value) for f in _fields(index, _PRICE_UNIT) if f.section == section), "")


def _read_models(doc: Document, index: FieldIndex, service: Service, path: str) -> None:
    models: dict[str, Model] = {}
    for table in doc.tables:
        if not mentions(table.section, _MODEL_WORDS) or _is_foreign(table):
            continue
        id_col = _column(table.header, _STRICT_ID_HEADERS)
        if id_col is None:
            id_col = _column(table.header, _MODEL_ID_HEADERS)
        if id_col is None:
            continue
        _check_table(table, path)
        unit = _price_unit(index, table.section)
        seen: set[str] = set()
        for line, cells in table.rows:
            model_id, struck = cell_id(cells[id_col])
            if not model_id:
                continue
            if model_id in seen:
                raise ParseError(f"model {model_id!r} is listed twice in one table", path=path,
                                 line=line, hint="remove the duplicate row")
            seen.add(model_id)
            _merge(models.setdefault(model_id, Model()), _model_row(table.header, cells, unit,
                                                                   struck))
    _fold_display_names(models)
    service.models = dict(sorted(models.items()))


def _fold_display_names(models: dict[str, Model]) -> None:
    """A pricing table's `Claude 3 Opus` is the models table's `claude-3-opus-20240229`.

    A name with spaces is a display name, not an id: when the words of exactly one id start
    with its words, its facts go to that id (the id's own statements win).
    """
    ids = {key: _ID_WORDS.findall(key.lower()) for key in models if " " not in key}
    for name in [key for key in models if " " in key]:
        words = _ID_WORDS.findall(name.lower())
        found = [key for key, tokens in ids.items() if words and tokens[:len(words)] == words]
        if len(found) == 1:
            _merge(models[found[0]], models.pop(name))


@lru_cache(maxsize=1024)
def _model_columns(header: tuple[str, ...]) -> tuple[tuple[int, str, str], ...]:
    """(index, role, unit hint) of the columns a models or pricing table states facts in.

    A header's parenthetical (`输入价格（元/百万 tokens）`) is that column's unit.
    """
    roles = (("context", _CONTEXT_HEADERS), ("max_output", _OUTPUT_HEADERS),
             ("input_price", _INPUT_PRICE_HEADERS), ("output_price", _OUTPUT_PRICE_HEADERS),
             ("price", _PRICE_HEADERS))
    columns = []
    for index, name in enumerate(header):
        key = label_key(name)
        role = next((role for role, names in roles if key in names), None)
        if role is not None:
            columns.append((index, role, " ".join(PARENTHETICAL.findall(name))))
    return tuple(columns)


def _model_row(header: list[str], cells: list[str], unit: str, struck: bool) -> Model:
    model = Model()
    row_text = " ".join(cells)
    if struck or _DEPRECATED.search(row_text):
        model.deprecated = True
        model.shutdown_date = _date(row_text)
    for index, role, column_unit in _model_columns(tuple(header)):
        cell = plain(cells[index])
        if _is_blank(cell):
            continue
        column_unit = column_unit or unit
        if role == "context" and model.context is None:
            model.context = parse_length(cell)
        elif role == "max_output" and model.max_output is None:
            model.max_output = parse_length(cell)
        elif role == "input_price" and model.input_price is None:
            model.input_price, currency = _price(cell, column_unit)
            model.currency = model.currency or currency
        elif role == "output_price" and model.output_price is None:
            model.output_price, currency = _price(cell, column_unit)
            model.currency = model.currency or currency
        elif role == "price" and model.input_price is None:
            _single_price(model, cell, column_unit)
    return model


def _single_price(model: Model, cell: str, unit: str) -> None:
    """One 价格 cell: an in/out pair, or one flat price (or raw text) for both sides."""
    pair = parse_price_pair(cell)
    if pair is not None:
        (model.input_price, in_cur), (model.output_price, out_cur) = (
            _with_unit(pair[0], unit), _with_unit(pair[1], unit))
        model.currency = in_cur or out_cur
        return
    model.input_price, model.currency = _price(cell, unit)
    model.output_price = model.input_price


def _price(cell: str, unit: str) -> tuple[float | str, str | None]:
    price = parse_price(cell)
    return _with_unit(price, unit) if isinstance(price, Money) else (price, None)


def _with_unit(money: Money, unit: str) -> tuple[float, str | None]:
    """A table's stated unit for a bare number: its currency; per-thousand → per-million."""
    if money.currency is not None or not unit or not money.amount:
        return money.amount, money.currency
    currency = "CNY" if _CNY.search(unit) else "USD" if _USD.search(unit) else None
    amount = money.amount * 1000 if _PER_THOUSAND.search(unit) else money.amount
    return amount, currency


def _merge(into: Model, row: Model) -> None:
    """A model in several tables (models, then pricing): a field's first statement wins."""
    for name in ("context", "max_output", "input_price", "output_price", "currency",
                 "shutdown_date"):
        if getattr(into, name) is None:
            setattr(into, name, getattr(row, name))
    # a range such as `$2-6/M` in the models table gives way to the pricing table's figures
    if isinstance(into.input_price, str) and isinstance(row.input_price, float):
        into.input_price, into.output_price, into.currency = (
            row.input_price, row.output_price, row.currency)
    if row.deprecated:
        into.deprecated = True


def _date(text: str) -> str | None:
    """The first date in a deprecated row, as ISO `YYYY-MM-DD` (or `YYYY-MM`)."""
    match = _DATE.search(text)
    if match is None:
        return None
    year, month, day = match.group(1), int(match.group(2)), match.group(3)
    if not 1 <= month <= 12:
        return None
    return f"{year}-{month:02d}-{int(day):02d}" if day else f"{year}-{month:02d}"
