"""Tests for sources/page.py: real page layouts → Service facts, noise tables, errors, stability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.errors import ParseError
from tracker.sources.page import page_identity, parse_page

PAGES = Path(__file__).parent / "pages"
ZH_PATH = "services/api/acme/_index.md"
EN_PATH = "services/api/acme/_index.en.md"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def parse(raw: bytes | str, path: str = ZH_PATH) -> dict[str, Any]:
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    return parse_page(raw, path).to_dict()


def replace(raw: bytes, old: str, new: str) -> bytes:
    text = raw.decode("utf-8")
    assert old in text, old
    return text.replace(old, new, 1).encode("utf-8")


def error_of(raw: bytes | str, path: str = ZH_PATH) -> ParseError:
    """The page-wide error, or else the first section that did not read (those are named in
    ``Service.problems`` while the rest of the page is read)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    try:
        service = parse_page(raw, path)
    except ParseError as error:
        assert error.path == path
        return error
    assert service.problems, "the page read without a problem"
    problem = service.problems[0]
    return ParseError(problem.reason, path=path, line=problem.line, hint=problem.hint)


ACME = {
    "id": "acme",
    "name": "Acme Inference API",
    "provider": "acme",
    "path": ZH_PATH,
    "lang": "zh",
    "endpoint": "https://api.acme.example/v1",
    "tier": "limited-free",
    "requirements": ["phone", "registration"],
    "credit_card_required": False,
    "trial_credits": {"amount": 5.0, "currency": "USD", "valid_days": 30},
    "limits": {
        "requests_per_day": 14400,
        "requests_per_minute": 30,
        "tokens_per_day": 1000000,
        "tokens_per_minute": "视模型而定",
        "max_context": 131072,
        "max_output": 8192,
        "concurrency": 5,
    },
    "quota_reset": "UTC 00:00",
    "models": {
        "acme-chat": {"context": 131072, "max_output": 8192, "input_price": 0.28,
                      "output_price": 0.42, "currency": "USD"},
        "acme-fast": {"context": 32768, "max_output": 4096, "input_price": 0.1,
                      "output_price": 0.2, "currency": "USD"},
        "acme-legacy": {"context": 8192, "max_output": 2048, "deprecated": True,
                        "shutdown_date": "2025-06-30"},
    },
}


# --- layouts ---------------------------------------------------------------------------------

def test_template_page_zh() -> None:
    assert parse(page("acme.md")) == ACME


def test_english_twin_states_the_same_facts() -> None:
    assert parse(page("acme.en.md"), EN_PATH) == {**ACME, "path": EN_PATH, "lang": "en"}


def test_bom_and_crlf_parse_like_lf() -> None:
    raw = page("acme.md")
    crlf = b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n")
    assert parse(crlf) == ACME


def test_older_layout() -> None:
    path = "services/api/xinghe/_index.md"
    assert parse(page("legacy.md"), path) == {
        "id": "xinghe",
        "name": "星河大模型 API",  # no 服务名称 line: the front-matter title
        "provider": "xinghe",
        "path": path,
        "lang": "zh",
        "endpoint": "https://api.xinghe.example/v1/chat",
        "tier": "trial-credits",
        "trial_credits": {"amount": 5.0, "currency": "CNY", "valid_days": 7},
        # 每次最大输入 Token is a per-request input limit, not the context window
        "limits": {"requests_per_day": 1000, "concurrency": 2, "max_input": 32768,
                   "max_output": 4096, "tokens_per_month": 5000000},
        "models": {
            "xinghe-lite": {"input_price": 0.0, "output_price": 0.0},
            "xinghe-max": {"input_price": 0.28, "output_price": 0.42, "currency": "USD"},
            "xinghe-pro": {"input_price": 1.0, "output_price": 2.0, "currency": "CNY"},
            "xinghe-v1": {"input_price": 0.5, "output_price": 0.5, "currency": "CNY",
                          "deprecated": True, "shutdown_date": "2025-03-31"},
        },
    }


def test_tiers_prices_in_models_tables_extra_columns_ascii_colons() -> None:
    path = "services/api/nimbus/_index.md"
    assert parse(page("tiered.md"), path) == {
        "id": "nimbus",
        "name": "Nimbus Hub",
        "provider": "nimbus",
        "path": path,
        "lang": "zh",
        "endpoint": "https://{region}.nimbus.example/v1",
        "tier": "免费额度（每日 100 万 Token）",
        "requirements": ["real_name", "registration"],
        "credit_card_required": False,  # 信用卡可选
        "tiers": {
            "High 级别模型": {"requests_per_minute": 10, "requests_per_day": 50},
            "Low 级别模型": {"requests_per_minute": 15, "requests_per_day": 150,
                           "tokens_per_day": "unlimited"},
        },
        "quota_reset": "北京时间 0 点",
        "models": {
            "Qwen/Qwen2.5-7B-Instruct": {"context": 32768, "input_price": 0.0,
                                         "output_price": 0.0},
            "deepseek-v3": {"context": 65536, "input_price": 0.5, "output_price": 0.5,
                            "currency": "CNY"},  # bare number + **价格单位:** 人民币
            "glm-4-flash": {"context": 131072, "input_price": 1.0, "output_price": 2.0,
                            "currency": "CNY"},
            "nimbus-large": {"context": 131072, "input_price": 2.5, "output_price": 10.0,
                             "currency": "USD"},
            "nimbus-vl": {},
        },
    }


def test_tables_that_are_not_the_services_facts_are_ignored() -> None:
    path = "services/api/orbit/_index.md"
    result = parse(page("noise.md"), path)
    assert result == {
        "id": "orbit",
        "name": "Orbit Open Models",
        "provider": "orbit",
        "path": path,
        "lang": "zh",
        "endpoint": "https://api.orbit.example/inference",
        "tier": "免费托管试用 + 自托管下载",
        "requirements": ["registration", "waitlist"],
        "limits": {"requests_per_day": 1000},
        "models": {"orbit-7b": {"context": 32768, "max_output": 4096, "input_price": 0.05,
                                "output_price": 0.1, "currency": "USD"}},
    }
    assert "credit_card_required" not in result  # only the competitor table mentions it


def test_competitor_column_change_is_no_change() -> None:
    raw = page("noise.md")
    edited = replace(raw, "| 上下文长度 | 32K | 128K | 32K |", "| 上下文长度 | 32K | 1M | 8K |")
    edited = replace(edited, "| GPT-4o | $5 | $15 | 18-36倍 |", "| GPT-4o | $2.5 | $10 | 9倍 |")
    assert parse(edited) == parse(raw)


def test_gateway_providers_table_gives_no_models() -> None:
    path = "services/api/relay/_index.md"
    assert parse(page("gateway.md"), path) == {
        "id": "relay",
        "name": "Relay Router",
        "provider": "relay-labs",  # no link on 所属提供者: the footer's
        "path": path,
        "lang": "zh",
        "endpoint": "https://relay.example/api/v1",
        "tier": "free",
        "limits": {"requests_per_minute": 20, "requests_per_day": 200},
    }


def test_tables_inside_code_fences_are_skipped() -> None:
    models = parse(page("acme.md"))["models"]
    assert "fake-model" not in models and "fake-tilde" not in models


def test_unknown_rows_ignored_and_unparsed_values_kept_raw() -> None:
    raw = replace(page("acme.md"), "| **并发请求** | 5 | |",
                  "| **并发请求** | 合理范围内 | |\n| **神秘配额** | 7 | |")
    limits = parse(raw)["limits"]
    assert limits["concurrency"] == "合理范围内"
    assert set(limits) == set(ACME["limits"])


def test_overview_callout_bullets_are_not_facts() -> None:
    raw = replace(page("acme.md"), "**API 端点：** `https://api.acme.example/v1`  \n", "")
    # the callout bullet explains the format; the 相关资源 list still states the endpoint
    assert parse(raw)["endpoint"] == "https://api.acme.example/v1"


def test_single_quota_table_under_a_bold_intro_is_a_tier() -> None:
    raw = replace(page("acme.md"), "### 免费层级限制\n",
                  "### 免费层级限制\n\n**Pro 模型（付费）：**\n")
    result = parse(raw)
    assert result["tiers"] == {"Pro 模型": ACME["limits"]}
    assert "limits" not in result


@pytest.mark.parametrize(("text", "requirements", "card"), [
    ("需要注册账号和手机验证，无需信用卡", ["phone", "registration"], False),
    ("需要注册，需绑定信用卡", ["credit_card", "registration"], True),
    ("免费注册，需实名认证", ["real_name", "registration"], None),
    ("无需注册", [], None),
    ("Email registration, no credit card required", ["registration"], False),
    ("Sign up with a phone number; credit card required", ["credit_card", "phone",
                                                           "registration"], True),
    ("需要申请 API Key", [], None),
    ("需排队申请内测资格", ["waitlist"], None),
])
def test_requirements(text: str, requirements: list[str], card: bool | None) -> None:
    raw = replace(page("acme.md"), "需要注册账号和手机验证，无需信用卡", text)
    raw = replace(raw, "| **需要信用卡** | ❌ 不需要 | |\n", "")
    result = parse(raw)
    assert result.get("requirements", []) == requirements
    assert result.get("credit_card_required") is card


def test_quota_row_flag_wins_over_requirement_text() -> None:
    raw = replace(page("acme.md"), "| **需要信用卡** | ❌ 不需要 |", "| **需要信用卡** | ✅ 需要 |")
    assert parse(raw)["credit_card_required"] is True


@pytest.mark.parametrize(("path", "identity"), [
    ("services/api/acme/_index.md", ("acme", "zh")),
    ("content/services/api/acme/_index.en.md", ("acme", "en")),
    ("services/api/acme/_index.zh.md", ("acme", "zh")),
    ("services/api/acme.md", ("acme", "zh")),
])
def test_page_identity(path: str, identity: tuple[str, str]) -> None:
    assert page_identity(path) == identity


def test_page_identity_default_lang() -> None:
    assert page_identity("services/api/acme/_index.md", default_lang="en") == ("acme", "en")


# --- edits that are not changes --------------------------------------------------------------

def test_front_matter_only_edit() -> None:
    raw = replace(page("acme.md"), "weight: 20", "weight: 7\nimage: /img/acme.png")
    assert parse(raw) == ACME


def test_prose_only_edit() -> None:
    raw = replace(page("acme.md"), "OpenAI 兼容的开发者 API 接口。", "开发者接口，支持流式输出。")
    raw = replace(raw, "- **2024年：** 正式发布", "- **2024年：** 正式发布\n- **2023年：** 内测")
    assert parse(raw) == ACME


def test_notes_column_edit() -> None:
    raw = replace(page("acme.md"), "| 所有模型共享 |", "| 全部模型共享额度 |")
    raw = replace(raw, "| 旗舰对话模型 | 通用对话、写作 |", "| 最强模型 | 写作 |")
    assert parse(raw) == ACME


def test_reordered_rows() -> None:
    raw = page("acme.md").decode()
    lines = raw.split("\n")
    chat = lines.index("| **acme-chat** | 128K | 8K | 旗舰对话模型 | 通用对话、写作 |")
    lines[chat], lines[chat + 1] = lines[chat + 1], lines[chat]
    daily = lines.index("| **每日请求数** | 14,400 requests/day | 所有模型共享 |")
    lines.insert(daily + 7, lines.pop(daily))
    result = parse("\n".join(lines))
    assert result == ACME
    assert list(result["limits"]) == list(parse(page("acme.md"))["limits"])  # same JSON bytes


def test_display_change_is_no_change() -> None:
    raw = replace(page("acme.md"), "| 14,400 requests/day |", "| 14.4K requests/day |")
    raw = replace(raw, "| **acme-chat** | 128K |", "| **acme-chat** | 131,072 |")
    assert parse(raw) == ACME


# --- errors ----------------------------------------------------------------------------------

def line_of(raw: bytes, needle: str) -> int:
    return raw.decode("utf-8").split("\n").index(needle) + 1


def test_invalid_utf8_names_the_line() -> None:
    good = page("acme.md")
    raw = good.replace("| **并发请求**".encode(), b"| **\xff\xfe", 1)
    err = error_of(raw)
    assert err.line == line_of(good, "| **并发请求** | 5 | |")
    assert "UTF-8" in err.message


def test_invalid_utf8_after_bom_names_the_line() -> None:
    raw = b"\xef\xbb\xbf---\ntitle: x\n---\n\nok\n\xc3(\n"
    assert error_of(raw).line == 6


def test_nul_byte_names_the_line() -> None:
    assert error_of(b"---\ntitle: x\n---\nhello\x00\n").line == 4


def test_unclosed_front_matter() -> None:
    err = error_of("---\ntitle: x\n\n## 📋 服务概览\n")
    assert err.line == 1 and err.hint


def test_invalid_yaml_front_matter_when_the_title_is_needed() -> None:
    err = error_of("---\ntitle: x\nkeywords: [a, b\nweight: 3\n---\n\ntext\n")
    assert err.line == 3  # the unclosed flow sequence's own line, not where libyaml gave up


def test_invalid_yaml_front_matter_when_the_page_names_the_service() -> None:
    raw = replace(page("acme.md"), 'keywords: ["Acme", "免费 API", "LLM"]',
                  'keywords: ["Acme", "免费 API"')
    err = error_of(raw)
    assert err.line == line_of(raw, 'keywords: ["Acme", "免费 API"') and err.hint
    assert "not valid YAML" in err.message


def test_invalid_yaml_front_matter_names_the_line_of_the_problem() -> None:
    err = error_of("---\ntitle: x\nweight: 3\n  bad: indent\n---\n\n**服务名称：** X\n")
    assert err.line == 4


def test_front_matter_parses_once_per_distinct_text() -> None:
    from tracker.sources.page_text import _parse_front_matter

    raw = replace(page("acme.md"), "weight: 20", "weight: 21")
    parse(raw)
    before = _parse_front_matter.cache_info()
    parse(raw)
    after = _parse_front_matter.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f", "\x0c", "\u202e", "\u2066"])
def test_control_and_bidi_characters_name_the_line(char: str) -> None:
    row = "| **并发请求** | 5 | |"
    raw = replace(page("acme.md"), row, f"| **并发请求** | 5{char} | |")
    err = error_of(raw)
    assert err.line == line_of(page("acme.md"), row)
    assert f"U+{ord(char):04X}" in err.message and err.hint


def test_tab_cr_and_lf_are_fine() -> None:
    raw = replace(page("acme.md"), "| **并发请求** | 5 | |", "| **并发请求** |\t5\t| |\r")
    assert parse(raw) == ACME


def test_table_without_separator() -> None:
    raw = replace(page("acme.md"), "|--------|------|------|\n", "")
    assert error_of(raw).line == line_of(raw, "| 限制项 | 配额 | 说明 |")


def test_row_with_too_many_cells() -> None:
    raw = replace(page("acme.md"), "| **并发请求** | 5 | |", "| **并发请求** | 5 | a | b |")
    assert error_of(raw).line == line_of(raw, "| **并发请求** | 5 | a | b |")


def test_row_with_too_few_cells() -> None:
    raw = replace(page("acme.md"), "| **acme-fast** | $0.10/M tokens | $0.20/M tokens | |",
                  "| **acme-fast** | $0.10/M tokens |")
    assert error_of(raw).line == line_of(raw, "| **acme-fast** | $0.10/M tokens |")


def test_duplicate_model_id() -> None:
    row = "| **acme-fast** | 32,768 | 4K | 低延迟 | 实时应用 |"
    raw = replace(page("acme.md"), row, row + "\n| `acme-fast` | 8K | 1K | 重复 | |")
    assert error_of(raw).line == line_of(raw, row) + 1


def test_overlong_cell() -> None:
    raw = replace(page("acme.md"), "| 超出返回 429 |", "| " + "很长" * 1001 + " |")
    row = "| **每分钟请求数** | 30 requests/min | 超出返回 429 |"
    assert error_of(raw).line == line_of(page("acme.md"), row)


def test_page_too_large() -> None:
    raw = page("acme.md") + b"x" * (2 * 1024 * 1024)
    err = error_of(raw)
    assert "limit" in err.message
    assert err.line == page("acme.md").count(b"\n") + 1  # where the limit is crossed


def test_malformed_table_that_is_not_a_fact_is_tolerated() -> None:
    raw = replace(page("acme.md"), "| 需要信用卡 | ❌ | ❌ | ✅ |", "| 需要信用卡 | ❌ | ❌ |")
    assert parse(raw) == ACME


def test_header_without_rows_is_an_empty_table() -> None:
    """The rows were removed: the prices they stated are gone, and the page reads on."""
    raw = replace(page("acme.md"), "|------|---------|---------|------|\n| **acme-chat** | $0.28/M "
                  "tokens | $0.42/M tokens | 标准价 |\n| **acme-fast** | $0.10/M tokens | $0.20/M "
                  "tokens | |\n", "|------|---------|---------|------|\n")
    service = parse_page(raw, ZH_PATH)
    assert service.problems == []
    assert service.models["acme-chat"].input_price is None
    assert service.models["acme-chat"].context == ACME["models"]["acme-chat"]["context"]
    assert service.limits == ACME["limits"]


def test_quota_header_without_rows_states_no_limits() -> None:
    text = page("acme.md").decode("utf-8")
    start = text.index("|--------|------|------|\n") + len("|--------|------|------|\n")
    raw = (text[:start] + text[text.index("\n\n", start) + 1:]).encode("utf-8")
    service = parse_page(raw, ZH_PATH)
    assert service.problems == [] and "requests_per_day" not in service.limits
    assert service.models.keys() == ACME["models"].keys()


def test_a_broken_table_leaves_the_other_sections_read() -> None:
    """A quota row with a cell too many: the limits section is named as a problem with its
    line; the models and overview are read as ever."""
    raw = replace(page("acme.md"), "| **并发请求** | 5 | |", "| **并发请求** | 5 | | x |")
    service = parse_page(raw, ZH_PATH)
    (problem,) = service.problems
    assert problem.section == "limits" and problem.line == line_of(raw, "| **并发请求** | 5 | | x |")
    assert service.limits == {} and service.quota_tiers == {}
    facts = service.to_dict()
    assert facts["models"] == ACME["models"] and facts["name"] == ACME["name"]


def test_header_without_rows_outside_the_facts_is_tolerated() -> None:
    text = page("acme.md").decode("utf-8")
    start = text.index("| 特性 | Acme | Groq | Together |\n|------|------|------|----------|\n")
    rows = text.index("| 免费配额 |", start)
    raw = (text[:rows] + text[text.index("\n\n", rows) + 1:]).encode("utf-8")
    assert parse(raw) == ACME  # a competitor comparison states none of the service's facts


def test_error_string_names_file_and_line() -> None:
    raw = replace(page("acme.md"), "|--------|------|------|\n", "")
    assert str(error_of(raw)).startswith(f"{ZH_PATH}:{line_of(raw, '| 限制项 | 配额 | 说明 |')}: ")


# --- robustness ------------------------------------------------------------------------------

_LINES = page("acme.md").decode("utf-8").split("\n")
_mutation = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, len(_LINES) - 1)),
    st.tuples(st.just("duplicate"), st.integers(0, len(_LINES) - 1)),
    st.tuples(st.just("swap"), st.integers(0, len(_LINES) - 1), st.integers(0, len(_LINES) - 1)),
    st.tuples(st.just("insert"), st.integers(0, len(_LINES)),
              st.text(alphabet=st.sampled_from(list("|*`~-#:：\\ []()abc1K万\t\r")), max_size=40)
              | st.text(max_size=40)
              | st.sampled_from(["```", "~~~", "---", "|---|---|", "| a |", "## 配额", "## 模型",
                                 "**X：**", "| 模型 | 价格 |", "| 限制项 | 配额 |", "\ufeff"])),
    st.tuples(st.just("truncate"), st.integers(0, len(_LINES))),
)


def _mutate(lines: list[str], mutation: tuple[Any, ...]) -> list[str]:
    lines = list(lines)
    kind = mutation[0]
    if kind == "delete" and lines:
        del lines[mutation[1] % len(lines)]
    elif kind == "duplicate" and lines:
        index = mutation[1] % len(lines)
        lines.insert(index, lines[index])
    elif kind == "swap" and lines:
        a, b = mutation[1] % len(lines), mutation[2] % len(lines)
        lines[a], lines[b] = lines[b], lines[a]
    elif kind == "insert":
        lines.insert(mutation[1], mutation[2])
    elif kind == "truncate":
        lines = lines[:mutation[1]]
    return lines


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutation, min_size=1, max_size=6), st.binary(max_size=8))
def test_mutated_page_raises_only_parse_error(mutations: list[tuple[Any, ...]],
                                              tail: bytes) -> None:
    lines = _LINES
    for mutation in mutations:
        lines = _mutate(lines, mutation)
    raw = "\n".join(lines).encode("utf-8") + tail
    try:
        result = parse_page(raw, ZH_PATH)
    except ParseError as err:
        assert err.path == ZH_PATH
        assert err.line is None or 1 <= err.line <= raw.count(b"\n") + 1
    else:
        result.to_dict()


# --- more layouts ----------------------------------------------------------------------------

TIERS_BY_HEADING = """\
## 📋 服务概览

**服务名称：** Tiered

## 🔢 配额和限制

### 免费层级限制

| 限制项 | 配额 | 说明 |
|--------|------|------|
| 每日请求数 | 100 | |

### 🚀 Pro 层级（需充值）

| 限制项 | 配额 | 说明 |
|--------|------|------|
| 每日请求数 | 10,000 | |
| 每分钟 Token 数 | 1M | |

## 🎁 可用模型

| Model | Status | Context |
|-------|--------|---------|
| **m-1** | Deprecated on 2025-01-15 | 8k |
"""


def test_tiers_by_heading_and_status_column() -> None:
    result = parse(TIERS_BY_HEADING)
    assert result["limits"] == {"requests_per_day": 100}
    assert result["tiers"] == {"Pro 层级": {"requests_per_day": 10000,
                                           "tokens_per_minute": 1000000}}
    assert result["models"] == {"m-1": {"context": 8192, "deprecated": True,
                                        "shutdown_date": "2025-01-15"}}


def test_unclosed_fence_runs_to_the_end_of_the_page() -> None:
    raw = replace(page("acme.md"), "## 🔢 配额和限制", "```text\n## 🔢 配额和限制")
    result = parse(raw)
    assert "limits" not in result  # Hugo renders the rest as code: the page no longer states it
    assert set(result["models"]) == set(ACME["models"])


def test_monthly_allowance_in_money_is_not_a_token_quota() -> None:
    raw = replace(page("acme.md"), "| **并发请求** | 5 | |",
                  "| **并发请求** | 5 | |\n| **每月免费额度** | $5 | |")
    assert parse(raw)["limits"] == ACME["limits"]


def test_lost_front_matter_end_is_explained() -> None:
    raw = replace(page("legacy.md"), "  open: true\n---\n", "  open: true\n\n")
    raw = replace(raw, "## 🤖 支持的模型", "---\n\n## 🤖 支持的模型")  # a rule now closes it
    err = error_of(raw, "services/api/xinghe/_index.md")
    assert err.line == line_of(raw, "**提供者：** [星河云](/providers/xinghe)  ")
    assert "closing '---'" in (err.hint or "")


OLDER_OVERVIEW = """\
## 📋 服务信息

**提供者：** [Kappa](/providers/kappa)
**服务类型：** API 服务
**API 端点：** [https://api.kappa.example](https://api.kappa.example)
**免费类型：** 试用积分（¥10，30天有效）
"""


def test_free_type_wins_over_the_service_category() -> None:
    result = parse(OLDER_OVERVIEW)
    assert result["tier"] == "trial-credits"
    assert result["trial_credits"] == {"amount": 10.0, "currency": "CNY", "valid_days": 30}


NAMES_AND_IDS = """\
## 🎁 可用模型

| 模型名称 | 模型 ID | 上下文长度 |
|---------|---------|-----------|
| **Zeta Large** | `zeta-2-large-0101` | 64K |
| **Zeta Small** | `zeta-2-small-0101` | 32K |

## 💰 价格说明

| 模型 | 输入价格 | 输出价格 |
|------|---------|---------|
| **Zeta 2 Large** | $2/M tokens | $8/M tokens |
| **Zeta 2 Small** | $0.5/M tokens | $1/M tokens |
| **Zeta 2** | $1/M tokens | $1/M tokens |
| **Omega X** | $3/M tokens | $3/M tokens |
"""


def test_id_column_and_display_names_in_a_price_table() -> None:
    models = parse(NAMES_AND_IDS)["models"]
    assert models == {
        "zeta-2-large-0101": {"context": 65536, "input_price": 2.0, "output_price": 8.0,
                              "currency": "USD"},
        "zeta-2-small-0101": {"context": 32768, "input_price": 0.5, "output_price": 1.0,
                              "currency": "USD"},
        # two ids start with `zeta 2`, none with `omega x`: kept as the page names them
        "Zeta 2": {"input_price": 1.0, "output_price": 1.0, "currency": "USD"},
        "Omega X": {"input_price": 3.0, "output_price": 3.0, "currency": "USD"},
    }


TIER_LAYOUTS = """\
## 🔢 配额和限制

### 接口配额

| 限制类型 | 免费层 | 专业层（$20/月） | 说明 |
|---------|--------|----------------|------|
| **每日请求数** | 100 requests | 5,000 requests | 共享 |
| **每日 Tokens** | 50 万 | 无限制 | |
| **需要信用卡** | ❌ | ✅ | |

### 各级别速率

| 账户级别 | RPM | 每日 Tokens 配额 | 说明 |
|---------|-----|-----------------|------|
| **入门** | 3 | 100K | 新账户 |
| **进阶** | 60 | 2M | |
"""


def test_tier_columns_and_tier_rows() -> None:
    result = parse(TIER_LAYOUTS)
    assert result["limits"] == {"requests_per_day": 100, "tokens_per_day": 500000}
    assert result["credit_card_required"] is False  # the free column's flag, not the paid one's
    assert result["tiers"] == {
        "专业层": {"requests_per_day": 5000, "tokens_per_day": "unlimited"},
        "入门": {"requests_per_minute": 3, "tokens_per_day": 100000},
        "进阶": {"requests_per_minute": 60, "tokens_per_day": 2000000},
    }


def test_tier_rows_reordered_or_renoted_give_the_same_bytes() -> None:
    raw = TIER_LAYOUTS.encode("utf-8")
    edited = replace(raw, "| **入门** | 3 | 100K | 新账户 |\n| **进阶** | 60 | 2M | |",
                     "| **进阶** | 60 | 2,000,000 | 老用户 |\n| **入门** | 3 | 100,000 | |")
    assert json.dumps(parse(edited)) == json.dumps(parse(raw))


DOUBLED_PIPES = """\
## 🎁 可用模型

|| 模型名称 | 上下文长度 | 定价 |
||---------|-----------|------|
|| **Rho Big** | 128K | $1-3/M tokens |

## 🔢 配额和限制

### 接入说明

| 项目 | 详情 |
|------|------|
| **获取方式** | 控制台开通 |

### 速率

| 限制项 | GPT-9 | GPT-9-mini |
|--------|-------|------------|
| **RPM** | 500 | 600 |
| **RPD** | - | 10,000 |

### 免费额度

| 项目 | 配额 | 说明 |
|------|------|------|
| 月度调用 | 1,000 calls | 每月重置 |

## 💰 价格说明

|| 模型 | 输入价格 | 输出价格 |
||------|---------|---------|
|| **Rho Big** | $1/M tokens | $3/M tokens |
"""


def test_doubled_pipes_no_free_column_and_monthly_calls() -> None:
    result = parse(DOUBLED_PIPES)
    # `||` on every line is a doubled leading pipe; the price table's figures beat a range
    assert result["models"] == {"Rho Big": {"context": 131072, "input_price": 1.0,
                                            "output_price": 3.0, "currency": "USD"}}
    # no column names the free tier: each is a tier, and the limits stay the service's own
    assert result["tiers"] == {"GPT-9": {"requests_per_minute": 500},
                               "GPT-9-mini": {"requests_per_minute": 600,
                                              "requests_per_day": 10000}}
    assert result["limits"] == {"requests_per_month": 1000}


@pytest.mark.parametrize("value, key, expected", [
    ("视模型而定", "requests_per_minute", "视模型而定"),
    ("30 RPM", "requests_per_minute", 30),
    ("1,000 次/天", "requests_per_day", 1000),
    ("6,000 tokens/min", "tokens_per_minute", 6000),
])
def test_a_rate_limit_row_is_read_by_its_unit(value: str, key: str, expected: object) -> None:
    page = ("## 🔢 配额和限制\n\n| 限制项 | 配额 | 说明 |\n|---|---|---|\n"
            f"| **速率限制** | {value} | |\n")
    assert parse_page(page.encode(), "services/api/x/_index.md").limits == {key: expected}


def test_a_rate_limit_row_yields_to_the_row_naming_its_limit() -> None:
    page = ("## 🔢 配额和限制\n\n| 限制项 | 配额 | 说明 |\n|---|---|---|\n"
            "| **速率限制** | 合理范围内 | |\n| **每分钟请求数** | 15 | |\n")
    limits = parse_page(page.encode(), "services/api/x/_index.md").limits
    assert limits == {"requests_per_minute": 15}
