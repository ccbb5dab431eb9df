"""quantities: real-looking cells from zh and en service pages → values; nothing ever raises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.model import UNLIMITED
from tracker.quantities import (
    Money,
    length_key,
    parse_count,
    parse_days,
    parse_flag,
    parse_length,
    parse_money,
    parse_price,
    parse_price_pair,
    parse_service_type,
)

USD, CNY = "USD", "CNY"

CELLS: list[tuple[Callable[[str], Any], str, Any]] = [
    # counts
    (parse_count, "14,400", 14400),
    (parse_count, "14.4K", 14400),
    (parse_count, "1K", 1000),
    (parse_count, "1M", 1_000_000),
    (parse_count, "100 万", 1_000_000),
    (parse_count, "100万", 1_000_000),
    (parse_count, "2 亿", 200_000_000),
    (parse_count, "1,000 requests/day", 1000),
    (parse_count, "14,400 requests/day", 14400),
    (parse_count, "100 万 tokens/day", 1_000_000),
    (parse_count, "1M tokens/day", 1_000_000),
    (parse_count, "约 1,000 积分", 1000),
    (parse_count, "最高 60", 60),
    (parse_count, "最多 5 个", 5),
    (parse_count, "up to 30", 30),
    (parse_count, "~500", 500),
    (parse_count, "10", 10),
    (parse_count, "0", 0),
    (parse_count, "**1,000**", 1000),
    (parse_count, "`60`", 60),
    (parse_count, "１，０００", 1000),
    (parse_count, "１４．４Ｋ", 14400),
    (parse_count, "1,000 requests/day（每个账号）", 1000),
    (parse_count, "60 次/分钟", 60),
    (parse_count, "1.5万", 15000),
    (parse_count, "~~14,400~~ 1,000", 1000),
    (parse_count, "无限制", UNLIMITED),
    (parse_count, "unlimited", UNLIMITED),
    (parse_count, "Unlimited", UNLIMITED),
    (parse_count, "不限", UNLIMITED),
    (parse_count, "**无限制**（合理使用）", UNLIMITED),
    (parse_count, "视模型而定", "视模型而定"),
    (parse_count, "合理范围内", "合理范围内"),
    (parse_count, "Varies by model", "Varies by model"),
    (parse_count, " 取决于具体模型 ", "取决于具体模型"),
    (parse_count, "20 RPM / 200 RPD", "20 RPM / 200 RPD"),
    (parse_count, "每分钟 20 次，每天 200 次", "每分钟 20 次，每天 200 次"),
    (parse_count, "$5", "$5"),
    (parse_count, "0.5", "0.5"),
    (parse_count, "", ""),
    # lengths
    (parse_length, "128K", 131072),
    (parse_length, "128k tokens", 131072),
    (parse_length, "128K tokens", 131072),
    (parse_length, "8K", 8192),
    (parse_length, "1M", 1_048_576),
    (parse_length, "32,768", 32768),
    (parse_length, "128,000", 128000),
    (parse_length, "最高 128K", 131072),
    (parse_length, "约 32K", 32768),
    (parse_length, "**200K**", 204800),
    (parse_length, "128K（可扩展）", 131072),
    (parse_length, "8K / 32K", "8K / 32K"),
    (parse_length, "视模型而定", "视模型而定"),
    # prices
    (parse_price, "$0.15/M tokens", Money(0.15, USD)),
    (parse_price, "$2.5/1M", Money(2.5, USD)),
    (parse_price, "$0.15 per 1M tokens", Money(0.15, USD)),
    (parse_price, "¥1/百万 tokens", Money(1.0, CNY)),
    (parse_price, "￥1／百万 tokens", Money(1.0, CNY)),
    (parse_price, "¥2/M", Money(2.0, CNY)),
    (parse_price, "0.5 元/百万 tokens", Money(0.5, CNY)),
    (parse_price, "¥1 每百万 tokens", Money(1.0, CNY)),
    (parse_price, "$0.002/1K tokens", Money(2.0, USD)),
    (parse_price, "¥0.001/千 tokens", Money(1.0, CNY)),
    (parse_price, "$0.0000015/token", Money(1.5, USD)),
    (parse_price, "约 $0.30/M", Money(0.30, USD)),
    (parse_price, "€0.25/M tokens", Money(0.25, "EUR")),
    (parse_price, "免费", Money(0.0, None)),
    (parse_price, "Free", Money(0.0, None)),
    (parse_price, "免费（限时）", Money(0.0, None)),
    (parse_price, "$0", Money(0.0, USD)),
    (parse_price, "按使用量计费", "按使用量计费"),
    (parse_price, "-", "-"),
    (parse_price, "—", "—"),
    (parse_price, "N/A", "N/A"),
    (parse_price, "$4,500/GPU/年起", "$4,500/GPU/年起"),
    (parse_price, "Free 约 $0.10/月", "Free 约 $0.10/月"),
    # price pairs
    (parse_price_pair, "¥1(in)/¥2(out)", (Money(1.0, CNY), Money(2.0, CNY))),
    (parse_price_pair, "$0.28(in)/$0.42(out)", (Money(0.28, USD), Money(0.42, USD))),
    (parse_price_pair, "输入 ¥1 / 输出 ¥2", (Money(1.0, CNY), Money(2.0, CNY))),
    (parse_price_pair, "输入：¥1，输出：¥2", (Money(1.0, CNY), Money(2.0, CNY))),
    (parse_price_pair, "$0.1 / $0.4", (Money(0.1, USD), Money(0.4, USD))),
    (parse_price_pair, "Input: $0.1/M, Output: $0.4/M", (Money(0.1, USD), Money(0.4, USD))),
    (parse_price_pair, "输出 ¥2 / 输入 ¥1", (Money(1.0, CNY), Money(2.0, CNY))),
    (parse_price_pair, "$0.15/M tokens", None),
    (parse_price_pair, "¥1-¥2", None),
    (parse_price_pair, "按使用量计费", None),
    # credit amounts
    (parse_money, "$5", Money(5.0, USD)),
    (parse_money, "¥5", Money(5.0, CNY)),
    (parse_money, "5 元", Money(5.0, CNY)),
    (parse_money, "约 1,000 积分", Money(1000.0, "credits")),
    (parse_money, "$10 (30 天)", Money(10.0, USD)),
    (parse_money, "¥5，7天有效", Money(5.0, CNY)),
    (parse_money, "$5 免费额度", Money(5.0, USD)),
    (parse_money, "1,000 credits", Money(1000.0, "credits")),
    (parse_money, "100 万 tokens", "100 万 tokens"),
    (parse_money, "视积分消耗", "视积分消耗"),
    (parse_money, "Free 约 $0.10/月", "Free 约 $0.10/月"),
    # validity
    (parse_days, "7天有效", 7),
    (parse_days, "30 天", 30),
    (parse_days, "30 days", 30),
    (parse_days, "3 个月", 90),
    (parse_days, "12 个月", 365),
    (parse_days, "1 年", 365),
    (parse_days, "1 year", 365),
    (parse_days, "$10 (30 天)", 30),
    (parse_days, "十五天", 15),
    (parse_days, "永久有效", None),
    (parse_days, "", None),
    # flags
    (parse_flag, "✅", True),
    (parse_flag, "✅ 需要", True),
    (parse_flag, "是", True),
    (parse_flag, "需要", True),
    (parse_flag, "Yes", True),
    (parse_flag, "required", True),
    (parse_flag, "❌", False),
    (parse_flag, "❌ 不需要", False),
    (parse_flag, "否", False),
    (parse_flag, "不需要", False),
    (parse_flag, "No", False),
    (parse_flag, "Not required", False),
    (parse_flag, "**不需要**（仅注册）", False),
    (parse_flag, "可选", None),
    (parse_flag, "视地区而定", None),
    # service types
    (parse_service_type, "完全免费", "free"),
    (parse_service_type, "Completely Free", "free"),
    (parse_service_type, "有限免费", "limited-free"),
    (parse_service_type, "Limited Free", "limited-free"),
    (parse_service_type, "**有限免费**（需注册）", "limited-free"),
    (parse_service_type, "试用积分", "trial-credits"),
    (parse_service_type, "Trial Credits", "trial-credits"),
    (parse_service_type, "付费", "paid"),
    (parse_service_type, "Paid", "paid"),
    (parse_service_type, "免费额度（每日 100 万 Token）", "免费额度（每日 100 万 Token）"),
    (parse_service_type, "免费使用（有速率限制）", "免费使用（有速率限制）"),
    (parse_service_type, "Free tier (1 million tokens daily)", "Free tier (1 million tokens daily)"),
    (parse_service_type, "免费托管试用 + 自托管下载", "免费托管试用 + 自托管下载"),
]


@pytest.mark.parametrize(
    ("parse", "cell", "expected"), CELLS, ids=[f"{p.__name__}:{c}" for p, c, _ in CELLS]
)
def test_cell_parses_to_expected_value(parse: Callable[[str], Any], cell: str,
                                       expected: Any) -> None:
    assert parse(cell) == expected


def test_table_is_large_enough_to_mean_something() -> None:
    assert len(CELLS) >= 80


@pytest.mark.parametrize("cell", ["14,400", "14.4K", "14400", "约 14,400", "**14.4K**"])
def test_display_variants_of_a_count_are_equal(cell: str) -> None:
    assert parse_count(cell) == 14400


@pytest.mark.parametrize("cells", [
    ("128K", "131,072", "128,000", "128000", "最高 128K"),
    ("1M", "1,048,576", "1,000,000"),
    ("32K", "32,768", "32,000"),
    ("8K", "8192", "8,000"),
    ("200K", "200,000"),
])
def test_length_key_equates_binary_and_decimal_writings(cells: tuple[str, ...]) -> None:
    keys = {length_key(parse_length(cell)) for cell in cells}
    assert len(keys) == 1


def test_length_key_keeps_different_sizes_apart() -> None:
    sizes = ["4K", "8K", "32K", "64K", "128K", "200K", "256K", "1M", "2M"]
    keys = [length_key(parse_length(size)) for size in sizes]
    assert len(set(keys)) == len(sizes)
    assert keys == sorted(keys)  # the key is the binary size, so order survives


def test_length_key_leaves_odd_numbers_and_text_alone() -> None:
    assert length_key(131_073) == 131_073
    assert length_key("视模型而定") == "视模型而定"
    assert length_key(UNLIMITED) == UNLIMITED


def test_qualifiers_never_change_a_value() -> None:
    for qualifier in ("约 ", "最高 ", "最多 ", "up to ", "about ", "~"):
        assert parse_count(qualifier + "1,000") == 1000
        assert parse_length(qualifier + "32K") == 32768


def test_money_is_hashable_and_frozen() -> None:
    price = Money(1.0, CNY)
    assert {price: 1}[Money(1.0, CNY)] == 1
    with pytest.raises(AttributeError):
        price.amount = 2.0  # type: ignore[misc]


PARSERS = [parse_count, parse_length, length_key, parse_price, parse_price_pair, parse_money,
           parse_days, parse_flag, parse_service_type]


@pytest.mark.parametrize("parse", PARSERS, ids=[p.__name__ for p in PARSERS])
@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_nothing_raises_on_any_text(parse: Callable[[str], Any], text: str) -> None:
    parse(text)


CELL_ALPHABET = st.sampled_from(
    list("0123456789,.KkMm万亿千 /$¥€元约最高()（）：:~-—✅❌") + ["tokens", "(in)", "(out)",
                                                            "输入", "输出", "天", "个月"])


@pytest.mark.parametrize("parse", PARSERS, ids=[p.__name__ for p in PARSERS])
@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(CELL_ALPHABET, max_size=20))
def test_nothing_raises_on_cell_like_text(parse: Callable[[str], Any], pieces: list[str]) -> None:
    result = parse("".join(pieces))
    if parse in (parse_count, parse_length):
        assert isinstance(result, (int, str))
