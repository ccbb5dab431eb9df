"""i18n: the one table of words. Every kind, severity, service type, requirement and field a
change can name has a label in both languages, and every kind a one-line summary; these tests are
where a kind added without its words fails."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tracker import i18n
from tracker.model import (
    KINDS,
    LIMIT_KEYS,
    PRICE_FIELDS,
    RATE_LIMIT_KEYS,
    REQUIREMENTS,
    SERVICE_TYPES,
    SEVERITIES,
    Event,
)

HAN = re.compile(r"[\u4e00-\u9fff]")


def both(table: dict[str, tuple[str, str]], key: str) -> tuple[str, str]:
    zh, en = table[key]
    assert zh.strip() and en.strip(), key
    assert HAN.search(zh) and not HAN.search(en), (key, zh, en)
    return zh, en


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_label_in_both_languages(kind: str) -> None:
    zh, en = both(i18n.KIND_LABELS, kind)
    assert i18n.kind_label(kind, "zh") == zh and i18n.kind_label(kind, "en") == en


def test_the_tables_name_nothing_but_known_kinds_severities_and_types() -> None:
    assert set(i18n.KIND_LABELS) == set(KINDS)
    assert set(i18n.SUMMARY_FORMS) == set(KINDS)
    assert set(i18n.SEVERITY_LABELS) == set(SEVERITIES)
    assert set(i18n.TIER_LABELS) == set(SERVICE_TYPES)
    assert set(i18n.REQUIREMENT_LABELS) == set(REQUIREMENTS)
    assert set(i18n.CHART_UNITS) <= set(RATE_LIMIT_KEYS)


def test_every_severity_service_type_and_field_has_its_words() -> None:
    for severity in SEVERITIES:
        both(i18n.SEVERITY_LABELS, severity)
    for tier in SERVICE_TYPES:
        both(i18n.TIER_LABELS, tier)
    for field in (*LIMIT_KEYS, *PRICE_FIELDS, "context", "tier", "endpoint", "quota_reset",
                  "trial_credits", "requirements", "deprecated", "shutdown_date"):
        zh, en = both(i18n.FIELD_LABELS, field)
        assert i18n.field_label(field, "en") == en
    # a field no table knows is shown by its name, never dropped
    assert i18n.field_label("speed", "zh") == "speed"


def event(kind: str, **values: Any) -> Event:
    base: dict[str, Any] = dict(id="0" * 16, date="2025-03-01T10:00:00+08:00", commit="c" * 40,
                                path="services/api/acme/_index.md", service="acme",
                                service_name="Acme", provider="acme", model=None, kind=kind,
                                field=None, old=None, new=None, change_pct=None,
                                severity="info")
    return Event(**{**base, **values})


# One event of each kind with the values the classifier gives it, and what its summary says.
SUMMARIES: dict[str, tuple[dict[str, Any], str, str]] = {
    "service_added": ({}, "新增服务 Acme", "new service Acme"),
    "service_removed": ({}, "服务下线 Acme", "service Acme removed"),
    "service_renamed": ({"field": "id", "old": "a", "new": "acme"}, "服务迁移 a → acme",
                        "service moved a → acme"),
    "model_added": ({"model": "m1"}, "新增模型 m1", "new model m1"),
    "model_removed": ({"model": "m1"}, "移除模型 m1", "model m1 removed"),
    "model_deprecated": ({"model": "m1", "field": "shutdown_date", "new": "2025-06-01"},
                         "模型 m1 将于 2025-06-01 停用", "model m1 shuts down on 2025-06-01"),
    "context_changed": ({"model": "m1", "field": "context", "old": 131072, "new": 32768,
                         "change_pct": -75.0}, "m1 上下文长度 128K → 32K（-75%）",
                        "m1 Context length 128K → 32K (-75%)"),
    "output_changed": ({"field": "max_output", "old": 4096, "new": 8192, "change_pct": 100.0},
                       "最大输出长度 4K → 8K（+100%）", "Max output length 4K → 8K (+100%)"),
    "quota_cut": ({"field": "requests_per_day", "old": 14400, "new": 1000, "change_pct": -93.1},
                  "每日请求数 14,400 → 1,000（-93%）", "Requests per day 14,400 → 1,000 (-93%)"),
    "quota_raised": ({"field": "concurrency", "tier": "Pro", "old": 5, "new": "unlimited"},
                     "Pro 并发请求 5 → 无限制", "Pro Concurrent requests 5 → unlimited"),
    "quota_added": ({"field": "tokens_per_day", "new": 500000}, "新增限制 每日 Token 数 500,000",
                    "new limit: Tokens per day 500,000"),
    "quota_removed": ({"field": "tokens_per_day", "old": 500000},
                      "不再标明 每日 Token 数（原 500,000）",
                      "Tokens per day no longer stated (was 500,000)"),
    "price_increase": ({"model": "m1", "field": "input_price", "old": 0.28, "new": 0.56,
                        "change_pct": 100.0, "currency": "USD"},
                       "m1 输入价格 $0.28/M → $0.56/M（+100%）",
                       "m1 Input price $0.28/M → $0.56/M (+100%)"),
    "price_decrease": ({"model": "m1", "field": "output_price", "old": 1, "new": 0.28,
                        "currency": "USD", "old_currency": "CNY"},
                       "m1 输出价格 ¥1/M → $0.28/M", "m1 Output price ¥1/M → $0.28/M"),
    "price_added": ({"model": "m1", "field": "input_price", "new": 2, "currency": "EUR"},
                    "m1 新增输入价格 €2/M", "m1 Input price added: €2/M"),
    "price_removed": ({"model": "m1", "field": "input_price", "old": 2, "currency": "CHF"},
                      "m1 移除输入价格（原 2 CHF/M）", "m1 Input price removed (was 2 CHF/M)"),
    "tier_changed": ({"field": "tier", "old": "free", "new": "paid"}, "服务类型 完全免费 → 付费",
                     "Service type Completely free → Paid"),
    "credits_changed": ({"field": "trial_credits",
                         "old": {"amount": 5, "currency": "USD", "valid_days": 30},
                         "new": {"amount": 10, "currency": "USD", "period": "month"}},
                        "试用积分 $5（30 天） → $10/月", "Trial credits $5 (30 days) → $10/month"),
    "requirement_added": ({"field": "requirements", "new": "phone"}, "新增要求：手机号验证",
                          "now requires phone verification"),
    "requirement_removed": ({"field": "requirements", "old": "credit_card"},
                            "不再要求：信用卡", "no longer requires credit card"),
    "endpoint_changed": ({"field": "endpoint", "old": "https://a/v1", "new": "https://a/v2"},
                         "API 端点 https://a/v1 → https://a/v2",
                         "API endpoint https://a/v1 → https://a/v2"),
    "reset_changed": ({"field": "quota_reset", "old": "UTC 00:00", "new": None},
                      "配额重置 UTC 00:00 → 无", "Quota reset UTC 00:00 → none"),
    "info_changed": ({"field": "credit_card_required", "old": False, "new": True},
                     "需要信用卡 否 → 是", "Credit card required no → yes"),
}


def test_the_summaries_below_name_every_kind() -> None:
    assert set(SUMMARIES) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_summary_in_both_languages(kind: str) -> None:
    values, zh, en = SUMMARIES[kind]
    assert i18n.summarize(event(kind, **values), "zh") == zh
    assert i18n.summarize(event(kind, **values), "en") == en
    form = i18n.SUMMARY_FORMS[kind]
    if form != "change":  # its own words: a phrase in both languages
        both(i18n.PHRASES, kind)


def test_a_kind_this_version_does_not_know_is_summarized_by_its_values() -> None:
    line = i18n.summarize(event("speed_changed", field="speed", old=1, new=2), "en")
    assert line == "speed 1 → 2" and not i18n.summary_says_all("speed_changed")
    # a feed item shows values columns unless the summary says everything
    assert i18n.summary_says_all("model_added") and not i18n.summary_says_all("quota_cut")


def test_values_as_a_reader_sees_them() -> None:
    assert i18n.format_value(1048576, "en", field="max_context") == "1M"
    assert i18n.format_value(1048576, "en", field="requests_per_day") == "1,048,576"
    assert i18n.format_value("unlimited", "zh") == "无限制"
    assert i18n.format_value(0.125, "en", field="input_price", currency="JPY") == "¥0.125/M"
    assert i18n.format_value(["registration", "phone"], "zh", field="requirements") == \
        "注册, 手机号验证"
    assert i18n.format_pct(None, "zh") == "" and i18n.format_pct(-12.4, "en") == " (-12%)"
    assert i18n.month_label("2025-11-03T00:00:00+08:00", "zh") == "2025年11月"
    assert i18n.month_label("2025-11-03T00:00:00+08:00", "zh", spaced=True) == "2025 年 11 月"
    assert i18n.month_label("2025-11-03T00:00:00+08:00", "en") == "November 2025"


def test_every_phrase_fills_in_both_languages() -> None:
    """A placeholder one language uses and the other's callers do not pass would raise: fill
    each phrase with every name either side uses."""
    for key, (zh, en) in i18n.PHRASES.items():
        names = set(re.findall(r"\{(\w+)\}", zh + en))
        values = {name: "x" for name in names}
        for lang in i18n.LANGS:
            assert "{" not in i18n.text(key, lang, **values), key


def test_one_list_of_languages() -> None:
    """The config check, the CLI's --lang, the data file schema and the word pairs all take
    model.LANGS; every table's pairs hold one entry per language."""
    import click

    from tracker import model
    from tracker.cli import cli
    from tracker.sources.schema import SCHEMA

    assert i18n.LANGS is model.LANGS
    assert SCHEMA["properties"]["lang"]["enum"] == list(model.LANGS)
    choices = {tuple(p.type.choices) for command in cli.commands.values()
               for p in command.params if p.name == "lang" and isinstance(p.type, click.Choice)}
    assert choices == {model.LANGS}
    for table in (i18n.KIND_LABELS, i18n.FIELD_LABELS, i18n.PHRASES, i18n.SEVERITY_LABELS):
        assert {len(pair) for pair in table.values()} == {len(model.LANGS)}
