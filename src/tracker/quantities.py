"""Table cells → comparable values: counts, lengths, prices, credit amounts, days, flags,
service types.

Pure functions on the hot path of every page parse: no I/O, regexes compiled once at import.
A cell that does not state a value this module can read comes back as its stripped raw text (or
``None`` where the signature says so), never as an exception, so a reworded cell is reported as
an ``info_changed`` rather than a guessed cut or raise. Qualifiers (约, 最高, up to, ~) never
change a value.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from tracker.model import UNLIMITED

# The same cells recur in nearly every version of a page, so each public parser remembers its
# recent answers (all immutable); a walk over thousands of commits parses each distinct cell once.
_CACHE_SIZE = 1 << 16
_cached = lru_cache(maxsize=_CACHE_SIZE)


@dataclass(frozen=True)
class Money:
    """An amount with an ISO currency ("USD", "CNY", "EUR"), "credits", or None when unstated."""

    amount: float
    currency: str | None


# ---------------------------------------------------------------------------------------------
# Cleaning: markdown, fullwidth forms, explanations in brackets

_STRUCK = re.compile(r"~~.*?~~")  # a struck-through old value is not the value
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]{0,200}>")
_MARKUP = re.compile(r"\*\*|__|`|(?<!\w)\*|\*(?!\w)")
_SPACES = re.compile(r"\s+")
_PARENTHETICAL = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_QUALIFIER = re.compile(
    r"^(?:约|大约|大概|最高|最多|高达|至多|不超过|低至|up\s+to|about|approx\.?|approximately|"
    r"around|max\.?|maximum|~|≈|<=|≤)\s*",
    re.IGNORECASE,
)

# a number with optional thousands separators; a comma must be followed by exactly three digits
_NUMBER = r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?"
_MAX_DIGITS = 30  # longer digit runs are not quantities anyone writes; keep them as text


def _strip_markup(text: str) -> str:
    """Remove Markdown/HTML decoration; the words and numbers stay."""
    if "~~" in text:
        text = _STRUCK.sub(" ", text)
    if "](" in text:
        text = _LINK.sub(r"\1", text)
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    return _MARKUP.sub("", text).strip()


def _normalize(text: str) -> str:
    """Markup stripped, fullwidth digits/punctuation folded to ASCII, spaces collapsed."""
    text = _strip_markup(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", text).strip()


def _without_explanations(text: str) -> str:
    """Drop bracketed explanations: "1,000 requests/day (每个账号)" → "1,000 requests/day"."""
    if "(" in text or "[" in text:
        text = _PARENTHETICAL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _without_qualifiers(text: str) -> str:
    while True:
        stripped = _QUALIFIER.sub("", text, count=1)
        if stripped == text:
            return text
        text = stripped


def _decimal(integer_part: str, fraction: str | None) -> Decimal | None:
    digits = integer_part.replace(",", "")
    if len(digits) + len(fraction or "") > _MAX_DIGITS:
        return None
    try:
        return Decimal(f"{digits}.{fraction}" if fraction else digits)
    except InvalidOperation:
        return None


# ---------------------------------------------------------------------------------------------
# Counts and lengths

_UNLIMITED_WORDS = re.compile(
    r"^(?:无限制|无限|不限量?|不限制|没有限制|无上限|unlimited|no\s+limits?|∞)(?![A-Za-z])",
    re.IGNORECASE,
)
_SCALED_NUMBER = re.compile(_NUMBER + r"\s*(百万|千万|万|亿|千|[KkMmBb](?![A-Za-z]))?")
_COUNT_SCALES = {
    None: Decimal(1), "k": Decimal(1_000), "m": Decimal(1_000_000), "b": Decimal(1_000_000_000),
    "千": Decimal(1_000), "万": Decimal(10_000), "百万": Decimal(1_000_000),
    "千万": Decimal(10_000_000), "亿": Decimal(100_000_000),
}
# context windows are written in binary K/M (128K = 131,072); Chinese units stay decimal
_LENGTH_SCALES = {
    None: Decimal(1), "k": Decimal(1_024), "m": Decimal(1_048_576),
    "千": Decimal(1_000), "万": Decimal(10_000), "百万": Decimal(1_000_000),
}
_CURRENCY_SIGN = re.compile(r"[$¥€£]|US\$|RMB|CNY|USD|EUR|元")


def _parse_scaled(text: str, scales: dict[str | None, Decimal]) -> int | str:
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        return int(text)  # the common "4096" needs none of the work below
    raw = _strip_markup(text)
    cell = _without_qualifiers(_without_explanations(_normalize(text)))
    if _UNLIMITED_WORDS.match(cell):
        return UNLIMITED
    if _CURRENCY_SIGN.search(cell):
        return raw  # an amount of money is not a count
    values: set[Decimal] = set()
    for match in _SCALED_NUMBER.finditer(cell):
        number = _decimal(match.group(1), match.group(2))
        suffix = match.group(3)
        scale_key = suffix.lower() if suffix and suffix.isascii() else suffix
        if number is None or scale_key not in scales:
            return raw
        values.add(number * scales[scale_key])
    # two different numbers ("20 RPM / 200 RPD") are two facts: keep the text rather than guess
    if len(values) != 1:
        return raw
    value = values.pop()
    if value != value.to_integral_value():
        return raw
    return int(value)


@_cached
def parse_count(text: str) -> int | str:
    """A rate limit or count: "14.4K" → 14400, "100 万" → 1000000, "无限制" → "unlimited"."""
    return _parse_scaled(text, _COUNT_SCALES)


@_cached
def parse_length(text: str) -> int | str:
    """A context or output length in tokens, K/M binary: "128K" → 131072, "32,768" → 32768."""
    return _parse_scaled(text, _LENGTH_SCALES)


def _round_thousands(value: int) -> int | None:
    """How many K a value is, in decimal or binary K, if it is a whole number of either.

    Decimal first: 128,000 is also 125 × 1024, but whoever wrote it meant 128K.
    """
    if value % 1000 == 0:
        return value // 1000
    if value % 1024 == 0:
        return value // 1024
    return None


def length_key(value: int | str) -> int | str:
    """Equal keys for lengths that state the same size: 128K, 131,072, 128,000 → 131072.

    Pages write the same window as binary (128K = 131,072) or decimal (128,000) tokens; a switch
    between the two is a display change. The key is the binary reading of the value.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return value
    if value >= 1_000_000 and value % 100_000 == 0:
        # decimal millions, in tenths of M: 64,000,000 is 64M and 1,500,000 is 1.5M
        return (value // 100_000) * 1_048_576 // 10
    kilo = _round_thousands(value)
    if kilo is None:
        return value
    if kilo >= 1000:
        # megabyte-sized windows: 1M = 1,048,576 = 1,000,000; compare in tenths of M so that
        # 1.5M written either way agrees too
        if (kilo * 10) % 1024 == 0:
            return (kilo * 10 // 1024) * 1_048_576 // 10
        if kilo % 100 == 0:
            return (kilo // 100) * 1_048_576 // 10
    return kilo * 1024


# ---------------------------------------------------------------------------------------------
# Money: prices, credit amounts

_PREFIX_CURRENCY = {"US$": "USD", "$": "USD", "USD": "USD", "¥": "CNY", "RMB": "CNY",
                    "CNY": "CNY", "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP"}
_SUFFIX_CURRENCY = {"美元": "USD", "元": "CNY", "人民币": "CNY", "欧元": "EUR", "USD": "USD",
                    "CNY": "CNY", "RMB": "CNY", "EUR": "EUR", "积分": "credits",
                    "credits": "credits", "credit": "credits", "点": "credits"}
_PREFIX = r"(US\$|\$|USD|¥|RMB|CNY|€|EUR|£|GBP)"
_SUFFIX = r"(美元|人民币|欧元|元|USD|CNY|RMB|EUR|积分|credits?|点)"
_AMOUNT = re.compile(
    rf"^(?:{_PREFIX}\s*)?(-?){_NUMBER}(?:\s*{_SUFFIX}(?![A-Za-z]))?", re.IGNORECASE
)
_PER = re.compile(r"^(?:/|per\b|每)\s*", re.IGNORECASE)
_PER_UNIT = re.compile(
    r"^(?:1\s*)?(?:(百万|m(?:tok)?(?![a-z])|mil(?:lion)?\b|1,000,000|1000000)|"
    r"(千|k(?:tok)?(?![a-z])|thousand\b|1,000|1000)|(万)|(tokens?\b))",
    re.IGNORECASE,
)
# scale from "per unit" to "per million tokens"
_PER_UNIT_SCALE = (Decimal(1), Decimal(1_000), Decimal(100), Decimal(1_000_000))
_DIGIT = re.compile(r"[0-9]")
_FREE_WORDS = re.compile(r"^(?:免费|完全免费|free|free of charge|0)$", re.IGNORECASE)


def _currency(prefix: str | None, suffix: str | None) -> str | None:
    if prefix:
        return _PREFIX_CURRENCY[prefix.upper()]
    if suffix:
        return _SUFFIX_CURRENCY.get(suffix) or _SUFFIX_CURRENCY.get(suffix.lower())
    return None


def _read_price(cell: str) -> Money | None:
    """One amount per million tokens at the start of ``cell`` with nothing after it but words."""
    match = _AMOUNT.match(cell)
    if not match or match.group(2):
        return None
    number = _decimal(match.group(3), match.group(4))
    currency = _currency(match.group(1), match.group(5))
    if number is None or currency == "credits":
        return None
    rest = cell[match.end():].strip()
    per = _PER.match(rest)
    if per:
        unit = _PER_UNIT.match(rest[per.end():])
        if not unit:
            return None  # "/月", "/GPU/年": not a price per tokens
        index = next(i for i, group in enumerate(unit.groups()) if group)
        number *= _PER_UNIT_SCALE[index]
        rest = rest[per.end() + unit.end():]
    # whatever follows may be words ("tokens", "起", "input"), not another figure
    if _DIGIT.search(rest) or "/" in rest or _CURRENCY_SIGN.search(rest):
        return None
    return Money(float(number), currency)


@_cached
def parse_price(text: str) -> Money | str:
    """One price per million tokens: "$0.15/M tokens" → Money(0.15, "USD"), "免费" → Money(0,
    None)."""
    raw = _strip_markup(text)
    cell = _without_qualifiers(_without_explanations(_normalize(text)))
    if _FREE_WORDS.match(cell):
        return Money(0.0, None)
    return _read_price(cell) or raw


_LABEL = re.compile(
    r"\(?\b(input|output|in|out|prompt|completion)\b\)?\s*:?|\(?(输入|输出|提示|补全)\)?\s*:?",
    re.IGNORECASE,
)
_OUTPUT_LABELS = {"output", "out", "completion", "输出", "补全"}
_CURRENCY_AMOUNT = re.compile(
    rf"{_PREFIX}\s*{_NUMBER}|{_NUMBER}\s*(美元|人民币|欧元|元)", re.IGNORECASE
)
_PAIR_SEPARATOR = re.compile(r"[\s/,;|、]*$")
_RANGE_SEPARATOR = re.compile(r"(?:-|–|—|~|至|到|\bto\b)\s*$", re.IGNORECASE)


@_cached
def parse_price_pair(text: str) -> tuple[Money, Money] | None:
    """A cell holding input and output prices: "¥1(in)/¥2(out)" → (input, output); else None."""
    cell = _normalize(text)
    labels = [(m.group(1) or m.group(2)).lower() for m in _LABEL.finditer(cell)]
    unlabelled = _SPACES.sub(" ", _LABEL.sub(" ", cell)).strip()
    amounts = list(_CURRENCY_AMOUNT.finditer(unlabelled))
    if len(amounts) != 2:
        return None
    first_part = unlabelled[amounts[0].start():amounts[1].start()]
    if _RANGE_SEPARATOR.search(first_part.rstrip(" /,;|、")) and "/" not in first_part[-3:]:
        return None  # "¥1-¥2" is a range, not input and output
    first = _read_price(_without_explanations(_PAIR_SEPARATOR.sub("", first_part)))
    second = _read_price(_without_explanations(unlabelled[amounts[1].start():]))
    if first is None or second is None:
        return None
    if len(labels) >= 2 and labels[0] in _OUTPUT_LABELS and labels[1] not in _OUTPUT_LABELS:
        return second, first
    return first, second


_VALIDITY = re.compile(
    r"[,;、]?\s*[0-9]+\s*(?:天|日|个月|月|年|周|days?|months?|years?|weeks?)\s*"
    r"(?:内)?(?:有效(?:期)?|valid(?:ity)?)?",
    re.IGNORECASE,
)


_ALLOWANCE_WORD = re.compile(r"^(?:tokens?\b|次|[KkMmBb万亿千](?![A-Za-z]))", re.IGNORECASE)


@_cached
def parse_money(text: str) -> Money | str:
    """An amount of credit: "$5" → Money(5.0, "USD"), "约 1,000 积分" → Money(1000.0, "credits")."""
    raw = _strip_markup(text)
    cell = _without_qualifiers(_without_explanations(_normalize(text)))
    # the validity beside an amount ("¥5, 7天有效") is parse_days' business, not a second figure
    cell = _VALIDITY.sub(" ", cell).strip()
    match = _AMOUNT.match(cell)
    if not match or match.group(2):
        return raw
    number = _decimal(match.group(3), match.group(4))
    rest = cell[match.end():].strip()
    if number is None or _DIGIT.search(rest) or "/" in rest or _CURRENCY_SIGN.search(rest):
        return raw
    currency = _currency(match.group(1), match.group(5))
    if rest and (currency is None or _ALLOWANCE_WORD.match(rest)):
        return raw  # "100 万 tokens", "1000 次": an allowance is a quota, not money
    return Money(float(number), currency)


# ---------------------------------------------------------------------------------------------
# Days, flags, service types

_DURATION = re.compile(
    r"([0-9]+|[一二两三四五六七八九十]+)\s*"
    r"(天|日|个月|個月|月|年|周|週|星期|days?|months?|years?|weeks?)(?![A-Za-z])",
    re.IGNORECASE,
)
_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                   "八": 8, "九": 9}
_DAYS_PER_UNIT = {"天": 1, "日": 1, "day": 1, "days": 1, "周": 7, "週": 7, "星期": 7, "week": 7,
                  "weeks": 7, "个月": 30, "個月": 30, "月": 30, "month": 30, "months": 30,
                  "年": 365, "year": 365, "years": 365}


def _small_number(word: str) -> int | None:
    if word.isdigit():
        return int(word) if len(word) <= 6 else None
    if word == "十":
        return 10
    tens, _, units = word.partition("十")
    if "十" in word:  # 十五 = 15, 二十 = 20, 二十五 = 25
        high = _CHINESE_DIGITS.get(tens, 1 if not tens else -1)
        low = _CHINESE_DIGITS.get(units, 0 if not units else -1)
        return high * 10 + low if high > 0 and low >= 0 else None
    return _CHINESE_DIGITS.get(word) if len(word) == 1 else None


@_cached
def parse_days(text: str) -> int | None:
    """A validity in days: "7天有效" → 7, "3 个月" → 90, "1 year" → 365; None when none stated."""
    for match in _DURATION.finditer(_normalize(text)):
        count = _small_number(match.group(1))
        if count is None:
            continue
        unit = match.group(2).lower()
        if unit in ("months", "month", "个月", "個月", "月") and count % 12 == 0:
            return count // 12 * 365  # "12 个月" is a year
        return count * _DAYS_PER_UNIT[unit]
    return None


_FLAG_FALSE = re.compile(
    r"^(?:❌|✖|✗|✘|×|⛔|否|不需要|无需|無需|不用|不要求|非必须|不必|没有|無|无|"
    r"(?:no|not required|none|false|n)(?![A-Za-z]))",
    re.IGNORECASE,
)
_FLAG_TRUE = re.compile(
    r"^(?:✅|✔|☑|✓|是|需要|必须|必需|要求|有|(?:yes|required|true|y)(?![A-Za-z]))",
    re.IGNORECASE,
)


@_cached
def parse_flag(text: str) -> bool | None:
    """A yes/no cell: "✅ 需要" → True, "❌ 不需要" → False, anything else → None."""
    cell = _without_explanations(_normalize(text))
    if _FLAG_FALSE.match(cell):  # checked first: "不需要" contains "需要"
        return False
    if _FLAG_TRUE.match(cell):
        return True
    return None


_SERVICE_TYPES = {
    "完全免费": "free", "免费": "free", "completely free": "free", "free": "free",
    "有限免费": "limited-free", "limited free": "limited-free", "limited-free": "limited-free",
    "试用积分": "trial-credits", "trial credits": "trial-credits", "trial-credits": "trial-credits",
    "付费": "paid", "paid": "paid",
    # words the real pages use for the same types (`免费额度（每日 100 万 Token）` stays as
    # written: its note is the only place the page states the quota)
    "免费增值": "limited-free", "freemium": "limited-free", "预付费": "paid", "prepaid": "paid",
}
_TRAILING_EXPLANATION = re.compile(r"\s*\([^()]*\)\s*$")


@_cached
def parse_service_type(text: str) -> str:
    """服务类型 → "free" / "limited-free" / "trial-credits" / "paid", or the stripped raw text."""
    raw = _strip_markup(text)
    cell = _normalize(text).replace("[", "").replace("]", "")
    cell = _TRAILING_EXPLANATION.sub("", cell).strip().lower()
    return _SERVICE_TYPES.get(cell, raw)
