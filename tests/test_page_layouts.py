"""Layouts the real site uses beyond the template, one short fixture each (in our own words):
per-model blocks, prices by context band, bullet and cache prices, recurring credits,
checklist and prose requirements, shared limits in prose, per-model limit tables, names,
models named only in prose, a credit card stated inside a quota cell.

REAL_CONSTRUCTS below is the map: each construct seen on a real page, where it was seen, and the
test (with its fixture) that covers it. A new layout a maintainer invents goes there with its
test; test_every_real_construct_names_a_test_and_every_layout_test_is_mapped keeps the two in
step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import GitRepo
from tracker.config import load_config
from tracker.i18n import summarize as summary
from tracker.ledger import Ledger
from tracker.model import Event
from tracker.pipeline import update
from tracker.sources.page import parse_page

# (the construct as a real page writes it, the page it was seen on, the test covering it).
# Pages are exdovic/getfreeai-content's services/api/<slug>/_index(.en).md; "site" where the
# construct was seen on the real site but the page was not recorded.
REAL_CONSTRUCTS: tuple[tuple[str, str, str], ...] = (
    ("`**Model ID:** `id`` then a `| 特性 | 详情 |` table per model", "vertex-ai",
     "test_per_model_blocks_give_one_model_each"),
    ("`| 上下文 | 输入 | 输出 |` rows `≤ 200K` / `> 200K` under a bold model name", "vertex-ai",
     "test_prices_by_context_band_are_one_fact_per_band_of_the_model"),
    ("a band price changed between two commits", "vertex-ai",
     "test_a_band_price_change_is_a_price_event_naming_its_band"),
    ("name from `# heading`, `**服务名称：**`, or a decorated title (`X API - 超低价 …`)",
     "deepseek", "test_service_name_from_heading_else_from_the_title_without_its_decoration"),
    ("`**服务类型：** API 服务` (a category) beside `**免费类型：**`", "cohere",
     "test_a_category_in_service_type_states_no_tier"),
    ("`- ✅ …` / `- ❌ 无需信用卡` prerequisites grouped by tier", "cohere",
     "test_requirements_from_a_prerequisites_checklist_of_the_entry_tier"),
    ("`需要注册账户并绑定支付方式` in prose", "site",
     "test_a_payment_method_in_prose_is_a_card_requirement"),
    ("`| 限制项 | 详情 |`, `每次最大输入 Token`, `每月免费额度`, a shared daily total in prose",
     "github-models, google-ai-studio",
     "test_quota_layouts_details_column_input_limit_blanks_credits_and_shared_limits"),
    ("monthly credits cut between two commits", "site",
     "test_monthly_credits_cut_is_a_breaking_credits_change"),
    ("a context `无` later stated", "site",
     "test_a_context_newly_stated_after_none_is_not_a_text_change"),
    ("a front-matter-only edit (SEO title, keywords)", "site",
     "test_a_front_matter_only_edit_tells_nothing_and_renames_nothing"),
    ("prices switched from ¥ to $", "site", "test_a_currency_switch_shows_each_sides_currency"),
    ("`**a & b：**` then `- 输入（缓存命中）：$… / 百万 tokens` bullets", "site",
     "test_prices_in_a_list_under_the_models_named_and_max_output_in_a_note"),
    ("changelog dates written `2024 年 12 月`", "mistral",
     "test_generated_dates_follow_the_pages_own_style"),
    ("`**Free Tier:** Trial Credits (¥8, 10-day validity)`", "deepseek (en)",
     "test_english_free_tier_line_states_tier_and_credits"),
    ("`| **Requests/Minute** | 20 requests |`", "groq (en), google-ai-studio (en)",
     "test_english_rate_rows_written_with_a_slash"),
    ("`20,000-1,000,000` in a quota cell", "groq",
     "test_a_range_keeps_both_bounds_and_a_display_change_is_none"),
    ("a range narrowed, then widened", "groq", "test_ranges_are_compared_bound_by_bound"),
    ("`#### Model（推荐）` then `- **速率限制：** 10 RPM，50 RPD`", "groq, openrouter",
     "test_rate_limits_under_a_models_own_heading_are_that_models"),
    ("a limits column headed `GPT-4o` for the id `gpt-4o`", "site",
     "test_a_limits_column_spelled_like_a_model_id_is_that_models_limits"),
    ("`**月度配额** | Free 约 $0.25/月`, `免费增值`", "site",
     "test_a_monthly_allowance_named_after_the_free_plan_is_credits_each_month"),
    ("`预付费（最低充值 $5）`, `Freemium`, `免费增值`, `免费托管试用 + 自托管下载`", "site",
     "test_the_words_real_pages_use_for_a_service_type"),
    ("`需要注册账户并购买使用额度`, `无需预付费`, `实名认证（API 充值必需）`", "site",
     "test_buying_credits_up_front_asks_for_a_way_to_pay"),
    ("`Experiment 计划仅需手机验证，Scale 计划需绑定支付方式`", "mistral",
     "test_what_a_paid_plan_asks_for_is_not_the_entry_plans_requirement"),
    ("`**Registration Required:** … credit purchase required`", "site (en)",
     "test_english_registration_labels_and_a_credit_purchase"),
    ("`| **Max Input Tokens** | 8,000 | Single request input limit |`", "github-models (en)",
     "test_max_input_tokens_in_a_quota_table_limit_one_request"),
    ("`Email only, no credit card required`; `pay-as-you-go` plan", "site (en)",
     "test_email_only_is_a_registration_and_pay_as_you_go_names_a_paid_plan"),
    ("`| **每日神经元数** | 10,000 neurons/day |`", "cloudflare-workers-ai",
     "test_a_daily_allowance_of_neurons_is_a_limit_and_a_cut_is_told"),
    ("`- ✅ Created application and obtained API Key`", "site (en)",
     "test_an_app_created_in_the_console_is_no_waitlist"),
    ("`**所有模型（V2）：**` price list; `- id：… 默认输出 4K（最大 8K）` notes", "site",
     "test_a_price_list_for_all_models_and_output_notes_per_model"),
    ("`**Registration Requirement:**`, `| **Monthly Free Credits** | $5 |`",
     "nvidia-nim (en), vercel-ai-gateway (en)",
     "test_english_monthly_free_credits_and_a_singular_requirement_label"),
    ("`**Command R+ 模型：**` then `- 128K 上下文窗口`, id only in `model=\"command-r-plus\"`",
     "cohere", "test_a_model_named_only_in_prose_takes_its_id_from_the_code_samples"),
    ("`**Command R+ Model:**` then `- 128K context window`", "cohere (en)",
     "test_a_model_named_only_in_prose_takes_its_id_from_the_code_samples"),
    ("`| 月度调用 | 1,000 calls | 无需信用卡 |` in a tier's quota table", "cohere",
     "test_no_credit_card_stated_inside_a_quota_cell"),
    ("`| **试用方式** | Experiment 计划，免费试用（仅需手机验证，无需信用卡）|`", "mistral",
     "test_no_credit_card_stated_inside_a_quota_cell"),
    ("`| Monthly Calls | 1,000 calls | No credit card required |`", "cohere (en)",
     "test_no_credit_card_stated_inside_a_quota_cell"),
    ("a prose model's context cut between two commits; a name no code sample spells",
     "cohere", "test_a_prose_model_is_followed_and_never_invented"),
)

PATH = "services/api/orbit/_index.md"


def facts(text: str, path: str = PATH) -> dict[str, Any]:
    service = parse_page(text.encode("utf-8"), path)
    assert service.problems == []
    return service.to_dict()


MODEL_BLOCKS = """\
## 🤖 支持的模型

### Orbit Pro 2

**Model ID:** `orbit-pro-2`

| 特性 | 详情 |
|------|------|
| **上下文** | 1M tokens |
| **最大输出** | 16K |
| **价格** | $1-2/M (in), $4-8/M (out) |

### Orbit Mini

**Model ID:** `orbit-mini`

| 特性 | 详情 |
|------|------|
| **上下文** | 128K |
| **速度** | 很快 |
"""


def test_per_model_blocks_give_one_model_each() -> None:
    models = facts(MODEL_BLOCKS)["models"]
    assert models["orbit-mini"] == {"context": 131072}
    pro = models["orbit-pro-2"]
    assert (pro["context"], pro["max_output"]) == (1048576, 16384)
    # a range keeps its text per side: never read as a flat price
    assert (pro["input_price"], pro["output_price"]) == ("$1-2/M", "$4-8/M")


BANDS = MODEL_BLOCKS + """
## 🔢 成本和配额

**Orbit Pro 2：**
| 上下文 | 输入 | 输出 |
|--------|------|------|
| ≤ 200K | $1/M | $4/M |
| > 200K | $2/M | $8/M |
"""


def test_prices_by_context_band_are_one_fact_per_band_of_the_model() -> None:
    models = facts(BANDS)["models"]
    assert models["orbit-pro-2 (≤200K)"] == {"input_price": 1.0, "output_price": 4.0,
                                            "currency": "USD"}
    assert models["orbit-pro-2 (>200K)"]["output_price"] == 8.0
    assert "Orbit Pro 2 (≤200K)" not in models  # the display name went to the id


def test_service_name_from_heading_else_from_the_title_without_its_decoration() -> None:
    body = "## 📋 服务信息\n\n**所属提供者：** [Orbit](/providers/orbit)  \n"
    titled = "---\ntitle: Orbit API - 超低价 AI API 服务\n---\n\n" + body
    assert facts(titled)["name"] == "Orbit API"
    assert facts("---\ntitle: Orbit - API\n---\n\n" + body)["name"] == "Orbit API"
    assert facts("---\ntitle: Orbit - API\n---\n\n# Orbit Cloud\n\n" + body)["name"] == "Orbit Cloud"
    named = "---\ntitle: x\n---\n\n## 📋 服务概览\n\n**服务名称：** Orbit Inference  \n"
    assert facts(named)["name"] == "Orbit Inference"


def test_a_category_in_service_type_states_no_tier() -> None:
    page = "## 📋 服务信息\n\n**服务类型：** API 服务  \n**免费类型：** 试用积分（$10，30天）\n"
    assert facts(page)["tier"] == "trial-credits"
    assert "tier" not in facts("## 📋 Service Information\n\n**Service Type:** API Service  \n")


CHECKLIST = """\
## 🚀 快速开始

### 前提条件

**基础层：**
- ✅ 已注册 Orbit 账户
- ✅ 已完成实名认证（上传证件）
- ❌ 无需信用卡

**企业层：**
- ✅ 已绑定信用卡
"""


def test_requirements_from_a_prerequisites_checklist_of_the_entry_tier() -> None:
    got = facts(CHECKLIST)
    assert got["requirements"] == ["real_name", "registration"]
    assert got["credit_card_required"] is False  # the card is the 企业层's, not the entry's
    removed = CHECKLIST.replace("- ✅ 已完成实名认证（上传证件）\n", "")
    assert facts(removed)["requirements"] == ["registration"]


def test_a_payment_method_in_prose_is_a_card_requirement() -> None:
    page = "## 📋 服务概览\n\n**注册要求：** 需要注册账户并绑定支付方式  \n"
    got = facts(page)
    assert got["requirements"] == ["credit_card", "registration"]
    assert got["credit_card_required"] is True


QUOTAS = """\
## 🔢 配额和限制

| 限制项 | 详情 |
|--------|------|
| **每次最大输入 Token** | 8,000 |
| **最大输出** | 无 |
| **每月免费额度** | $5 |

| 模型名称 | 每日请求数 | 每分钟请求数 |
|----------|-----------|-------------|
| Orbit Pro 2 | 50 | 5 |

1. **总请求限制：** 所有 Orbit 模型共享每日 1,000 次请求的总配额
2. **速率：** 60 requests/min（跨所有模型）
"""


def test_quota_layouts_details_column_input_limit_blanks_credits_and_shared_limits() -> None:
    got = facts(MODEL_BLOCKS + "\n" + QUOTAS)
    # 详情 is the value column, not a tier; 每次最大输入 is per request, not the context
    assert got["limits"] == {"requests_per_minute": 60, "requests_per_day": 1000,
                             "max_input": 8000}
    # 无 states nothing; a monthly amount is credits with a period, not a limit or a tier
    assert got["trial_credits"] == {"amount": 5.0, "currency": "USD", "period": "month"}
    # a limits row keyed by a display name belongs to that model's id
    assert got["tiers"] == {"orbit-pro-2": {"requests_per_minute": 5, "requests_per_day": 50}}


# --- what the new layouts tell, walked through a real git history ----------------------------

def _walk(tmp_path: Path, versions: list[str]) -> list[Event]:
    site = GitRepo(tmp_path / "site")
    for day, text in enumerate(versions, 1):
        site.write(PATH, text)
        site.commit(f"edit {day}", f"2025-05-{day:02d}T10:00:00+08:00")
    update(site.root, render=False)
    return Ledger(load_config(site.root)).events()


def test_a_band_price_change_is_a_price_event_naming_its_band(tmp_path: Path) -> None:
    raised = BANDS.replace("| > 200K | $2/M | $8/M |", "| > 200K | $3/M | $8/M |")
    (event,) = _walk(tmp_path, [BANDS, raised])[1:]
    assert (event.kind, event.model, event.old, event.new) == (
        "price_increase", "orbit-pro-2 (>200K)", 2.0, 3.0)
    assert ">200K" in summary(event, "zh") and "$2/M → $3/M" in summary(event, "zh")


def test_monthly_credits_cut_is_a_breaking_credits_change(tmp_path: Path) -> None:
    cut = QUOTAS.replace("| **每月免费额度** | $5 |", "| **每月免费额度** | $2 |")
    (event,) = _walk(tmp_path, [QUOTAS, cut])[1:]
    assert (event.kind, event.severity) == ("credits_changed", "breaking")
    assert "$5/月 → $2/月" in summary(event, "zh")


def test_a_context_newly_stated_after_none_is_not_a_text_change(tmp_path: Path) -> None:
    before = MODEL_BLOCKS.replace("| **上下文** | 128K |", "| **上下文** | 无 |")
    (event,) = _walk(tmp_path, [before, MODEL_BLOCKS])[1:]
    assert event.kind != "info_changed" and event.new == 131072


def test_a_front_matter_only_edit_tells_nothing_and_renames_nothing(tmp_path: Path) -> None:
    first = "---\ntitle: Orbit API - 超低价 AI API 服务\ndescription: a\n---\n\n" + MODEL_BLOCKS
    second = "---\ntitle: Orbit API - 最快的免费 AI API\ndescription: b\nkeywords: [x]\n---\n\n" \
        + MODEL_BLOCKS
    events = _walk(tmp_path, [first, second])
    assert [e.kind for e in events] == ["service_added"]
    assert events[0].service_name == "Orbit API"


def test_a_currency_switch_shows_each_sides_currency(tmp_path: Path) -> None:
    yuan = "## 💰 价格\n\n| 模型 | 输入价格 | 输出价格 |\n|---|---|---|\n| **orbit-chat** | ¥1/M | ¥2/M |\n"
    dollar = yuan.replace("¥1/M | ¥2/M", "$0.28/M | $0.42/M")
    events = _walk(tmp_path, [yuan, dollar])[1:]
    assert {e.kind for e in events} == {"info_changed"}  # no comparable amounts: no cut
    lines = sorted(summary(e, "zh") for e in events)
    assert "orbit-chat 输入价格 ¥1/M → $0.28/M" in lines[0] + lines[1]
    assert all(e.currencies in (("CNY", "USD"),) for e in events)


BULLETS = """\
## 🤖 支持的模型

| 模型 ID | 输出长度 |
|---------|---------|
| `orbit-chat` | 默认 4K（最大 8K） |
| `orbit-think` | 32K |

## 💰 价格

**orbit-chat & orbit-think：**
- 输入（缓存命中）：$0.03 / 百万 tokens
- 输入（缓存未命中）：$0.30 / 百万 tokens
- 输出：$1.20 / 百万 tokens
"""


def test_prices_in_a_list_under_the_models_named_and_max_output_in_a_note() -> None:
    models = facts(BULLETS)["models"]
    assert models["orbit-chat"] == {"max_output": 8192, "input_price": 0.3,
                                    "output_price": 1.2, "cache_read_price": 0.03,
                                    "currency": "USD"}
    assert models["orbit-think"]["cache_read_price"] == 0.03


def test_generated_dates_follow_the_pages_own_style(tmp_path: Path) -> None:
    log = "\n## 📝 更新日志\n\n- **2024 年 12 月：** 上线\n"
    site = GitRepo(tmp_path / "site")
    site.write(PATH, MODEL_BLOCKS + log)
    site.commit("add", "2025-05-01T10:00:00+08:00")
    site.replace(PATH, "| **上下文** | 128K |", "| **上下文** | 64K |")
    site.commit("cut", "2025-05-02T10:00:00+08:00")
    update(site.root)
    page = site.read(PATH)
    assert "- **2025 年 5 月：** orbit-mini 上下文长度 128K → 64K" in page, page
    assert "- **2024 年 12 月：** 上线" in page


def test_english_free_tier_line_states_tier_and_credits() -> None:
    page = ("## 📋 Service Information\n\n**Service Type:** API Service  \n"
            "**Free Tier:** Trial Credits (¥8, 10-day validity)  \n")
    got = facts(page, "services/api/orbit/_index.en.md")
    assert got["tier"] == "trial-credits"
    assert got["trial_credits"] == {"amount": 8.0, "currency": "CNY", "valid_days": 10}


def test_english_rate_rows_written_with_a_slash() -> None:
    page = ("## 🔢 Quotas and Limits\n\n| Limit Type | Free Tier | Notes |\n|---|---|---|\n"
            "| **Requests/Minute** | 20 requests | shared |\n| **Tokens/Minute** | 5,000 tokens | |\n")
    assert facts(page, "services/api/orbit/_index.en.md")["limits"] == {
        "requests_per_minute": 20, "tokens_per_minute": 5000}


RANGE = ("## 🔢 配额和限制\n\n| 限制项 | 配额 | 说明 |\n|---|---|---|\n"
         "| **每日 Tokens** | 20,000-1,000,000 | 视模型而定 |\n")


def test_a_range_keeps_both_bounds_and_a_display_change_is_none(tmp_path: Path) -> None:
    assert facts(RANGE)["limits"] == {"tokens_per_day": "20,000-1,000,000"}
    assert facts(RANGE.replace("20,000-1,000,000", "20K - 1M tokens"))["limits"] == {
        "tokens_per_day": "20,000-1,000,000"}


def test_ranges_are_compared_bound_by_bound(tmp_path: Path) -> None:
    lower = RANGE.replace("20,000-1,000,000", "20,000-500,000")
    wider = lower.replace("20,000-500,000", "10,000-900,000")
    events = _walk(tmp_path, [RANGE, lower, wider])[1:]
    assert [(e.kind, e.old, e.new) for e in events] == [
        ("quota_cut", "20,000-1,000,000", "20,000-500,000"),  # one bound down, one still
        ("info_changed", "20,000-500,000", "10,000-900,000"),  # one down, one up: no direction
    ]


def test_rate_limits_under_a_models_own_heading_are_that_models() -> None:
    page = ("## 🎁 可用模型\n\n| 模型名称 | 上下文长度 |\n|---|---|\n| **orbit-chat** | 128K |\n"
            "| **orbit-chat-mini** | 32K |\n\n### 模型详细说明\n\n#### Orbit-Chat（推荐）\n"
            "- **上下文窗口：** 128K tokens\n- **速率限制：** 10 RPM，50 RPD\n")
    assert facts(page)["tiers"] == {"orbit-chat": {"requests_per_minute": 10,
                                                   "requests_per_day": 50}}


PER_MODEL_LIMITS_BY_SPELLING = """\
## 🤖 可用模型

| 模型 ID | 上下文 | 输入价格 | 输出价格 |
|---------|--------|---------|---------|
| **orbit-4o** | 128K | $2/1M | $8/1M |
| **orbit-4o-mini** | 128K | $0.1/1M | $0.4/1M |

## 🔢 配额和限制

### 充值后速率限制

| 限制项 | Orbit-4o | ORBIT-4O-MINI | Pro |
|--------|----------|---------------|-----|
| **RPM** | 400 | 600 | 900 |
| **TPM** | 20,000 | 100,000 | 300,000 |
"""


def test_a_limits_column_spelled_like_a_model_id_is_that_models_limits() -> None:
    """`Orbit-4o` is `orbit-4o` in other letters: its column is that model's limits, not a
    tier; `Pro` names no model and stays a tier."""
    tiers = facts(PER_MODEL_LIMITS_BY_SPELLING)["tiers"]
    assert tiers["orbit-4o"] == {"requests_per_minute": 400, "tokens_per_minute": 20000}
    assert tiers["orbit-4o-mini"] == {"requests_per_minute": 600, "tokens_per_minute": 100000}
    assert tiers["Pro"] == {"requests_per_minute": 900, "tokens_per_minute": 300000}
    assert "Orbit-4o" not in tiers and "ORBIT-4O-MINI" not in tiers


MONTHLY_ALLOWANCE = """\
## 📋 服务概览

**服务名称：** Orbit API
**服务类型：** 免费增值（每月少量额度 + Plus 订阅）

## 🔢 配额和限制

### 免费层级限制

| 限制项 | 配额 | 说明 |
|--------|------|------|
| **月度配额** | Free 约 $0.25/月 | Plus 约 $3/月 |
| **并发请求** | 2 | |
"""


def test_a_monthly_allowance_named_after_the_free_plan_is_credits_each_month() -> None:
    got = facts(MONTHLY_ALLOWANCE)
    assert got["trial_credits"] == {"amount": 0.25, "currency": "USD", "period": "month"}
    assert got["tier"] == "limited-free"  # 免费增值: freemium
    assert got["limits"] == {"concurrency": 2}


def test_the_words_real_pages_use_for_a_service_type() -> None:
    def service_type(words: str) -> str:
        return str(facts(f"## 📋 服务概览\n\n**服务类型：** {words}\n")["tier"])

    assert service_type("预付费（最低充值 $5）") == "paid"
    assert service_type("Freemium (a little every month)") == "limited-free"
    assert service_type("免费增值（每日少量免费）") == "limited-free"
    assert service_type("免费托管试用 + 自托管下载") == "免费托管试用 + 自托管下载"  # as written


def test_buying_credits_up_front_asks_for_a_way_to_pay() -> None:
    got = facts("## 📋 服务概览\n\n**注册要求：** 需要注册账户并购买使用额度\n")
    assert (got["requirements"], got["credit_card_required"]) == (
        ["credit_card", "registration"], True)
    free = facts("## 📋 服务概览\n\n**注册要求：** 注册即可，无需预付费\n")
    assert free.get("credit_card_required") is False
    # what topping up needs is not asked of a new user
    topup = facts("## 🚀 快速开始\n\n### 前提条件\n\n**必需：**\n- ✅ 已注册开发者账户\n"
                  "- ✅ 已完成实名认证（API 充值必需）\n")
    assert topup["requirements"] == ["real_name", "registration"]
    assert "credit_card_required" not in topup


def test_what_a_paid_plan_asks_for_is_not_the_entry_plans_requirement() -> None:
    """`服务类型` names Nova as the paid plan: `Nova 计划需绑定支付方式` is what upgrading asks
    for; the entry plan asks for an account and a phone."""
    page = ("## 📋 服务概览\n\n**服务类型：** Lite 免费试用 + Nova 按需付费  \n"
            "**注册要求：** 需要注册账户；Lite 计划仅需手机验证，Nova 计划需绑定支付方式\n")
    got = facts(page)
    assert got["requirements"] == ["phone", "registration"]
    assert "credit_card_required" not in got
    # without a paid plan named, the same sentence does ask for a card
    alone = facts(page.replace("Lite 免费试用 + Nova 按需付费", "免费试用"))
    assert "credit_card" in alone["requirements"] and alone["credit_card_required"] is True


def test_english_registration_labels_and_a_credit_purchase() -> None:
    page = ("## 📋 Service Overview\n\n**Service Type:** Prepaid (minimum $5 top-up)  \n"
            "**Registration Required:** Yes, account registration and credit purchase required\n")
    got = facts(page, "services/api/orbit/_index.en.md")
    assert (got["tier"], got["requirements"], got["credit_card_required"]) == (
        "paid", ["credit_card", "registration"], True)
    short = facts("## 📋 Service Overview\n\n**Registration:** Registration and API Token required\n",
                  "services/api/orbit/_index.en.md")
    assert short["requirements"] == ["registration"]


def test_max_input_tokens_in_a_quota_table_limit_one_request() -> None:
    """`Max Input Tokens | 8,000 | Single request input limit` bounds a request's input; the
    context window stays what the models table says."""
    page = """\
## 🎁 Available Models

| Model Name | Context Length |
|------------|----------------|
| **orbit-large** | 128K |

## 🔢 Quotas and Limits

### Free Tier Limits

| Limit Item | Quota | Notes |
|------------|-------|-------|
| **Max Input Tokens** | 8,000 | Single request input limit |
| **最大输出长度** | 4,000 | |
"""
    got = facts(page, "services/api/orbit/_index.en.md")
    assert got["limits"] == {"max_input": 8000, "max_output": 4000}
    assert got["models"]["orbit-large"] == {"context": 131072}


def test_email_only_is_a_registration_and_pay_as_you_go_names_a_paid_plan() -> None:
    en = "services/api/orbit/_index.en.md"
    email = facts("## 📋 Service Overview\n\n"
                  "**Registration Requirements:** Email only, no credit card required\n", en)
    assert (email["requirements"], email["credit_card_required"]) == (["registration"], False)
    plans = facts("## 📋 Service Overview\n\n**Service Type:** Lite free trial + Nova "
                  "pay-as-you-go  \n**Registration:** Account required; Lite plan needs phone "
                  "verification only, Nova plan requires payment method\n", en)
    assert plans["requirements"] == ["phone", "registration"]
    assert "credit_card_required" not in plans


def test_a_daily_allowance_of_neurons_is_a_limit_and_a_cut_is_told(tmp_path: Path) -> None:
    """Cloudflare-style quotas are counted in neurons: `每日神经元数 | 10,000 neurons/day`."""
    table = ("## 🔢 配额和限制\n\n### 免费层级限制\n\n| 限制项 | 配额 | 说明 |\n"
             "|--------|------|------|\n| **每日神经元数** | 10,000 neurons/day | 所有模型共享 |\n")
    assert facts(table)["limits"] == {"neurons_per_day": 10000}
    english = table.replace("每日神经元数", "Daily Neurons")
    assert facts(english, "services/api/orbit/_index.en.md")["limits"] == {"neurons_per_day": 10000}
    (event,) = _walk(tmp_path, [table, table.replace("10,000 neurons", "5,000 neurons")])[1:]
    assert (event.kind, event.field, event.old, event.new) == (
        "quota_cut", "neurons_per_day", 10000, 5000)
    assert "每日神经元数" in summary(event, "zh")


def test_an_app_created_in_the_console_is_no_waitlist() -> None:
    """`Created application and obtained API Key` makes an app; it does not apply for access."""
    page = ("## 🚀 Quick Start\n\n### Prerequisites\n\n**Required:**\n"
            "- ✅ Registered account\n- ✅ Created application and obtained API Key\n")
    assert facts(page, "services/api/orbit/_index.en.md")["requirements"] == ["registration"]
    waitlist = page.replace("Created application and obtained API Key", "Apply for beta access")
    assert "waitlist" in facts(waitlist, "services/api/orbit/_index.en.md")["requirements"]


ALL_MODELS_PRICES = """\
## 🤖 支持的模型

| Model ID | 上下文 | 价格（/百万tokens）|
|----------|--------|-------------------|
| `orbit-chat` | 128K | $0.30(in)/$0.50(out) |
| `orbit-think` | 128K | $0.30(in)/$0.50(out) |

**注意：**
- orbit-chat：标准模式，默认输出 4K（最大 8K）
- orbit-think：推理模式，默认输出 16K（最大 32K）

## 💰 价格

**所有模型（V2）：**
- 输入（缓存未命中）：$0.30 / 百万 tokens
- 输入（缓存命中）：$0.03 / 百万 tokens
- 输出：$0.50 / 百万 tokens
"""


def test_a_price_list_for_all_models_and_output_notes_per_model() -> None:
    """`**所有模型：**` over the price list gives every model its cache price; a note per model
    (`默认输出 4K（最大 8K）`) states the most it outputs."""
    models = facts(ALL_MODELS_PRICES)["models"]
    assert models["orbit-chat"] == {"context": 131072, "max_output": 8192, "input_price": 0.3,
                                    "output_price": 0.5, "cache_read_price": 0.03,
                                    "currency": "USD"}
    assert (models["orbit-think"]["max_output"], models["orbit-think"]["cache_read_price"]) == (
        32768, 0.03)


def test_english_monthly_free_credits_and_a_singular_requirement_label() -> None:
    page = ("## 📋 Service Overview\n\n**Registration Requirement:** Orbit developer account "
            "required\n\n## 🔢 Quotas and Limits\n\n### Free Tier Limits\n\n"
            "| Limit Item | Quota | Description |\n|---|---|---|\n"
            "| **Monthly Free Credits** | $5 | Refreshed every month |\n")
    got = facts(page, "services/api/orbit/_index.en.md")
    assert got["requirements"] == ["registration"]
    assert got["trial_credits"] == {"amount": 5.0, "currency": "USD", "period": "month"}


# --- facts a page states only in prose ----------------------------------------------------------

PROSE_MODEL = """\
## 🤖 核心模型和功能

### 1. 对话

**Orbit Max+ 模型：**
- 200K 上下文窗口
- 检索优化
- 多语言

**基础使用：**
```python {filename="Python"}
reply = client.chat(message="你好", model="orbit-max-plus")
```

**Orbit Lite 模型：**
- 轻量
- 便宜
"""


def test_a_model_named_only_in_prose_takes_its_id_from_the_code_samples() -> None:
    models = facts(PROSE_MODEL)["models"]
    # the id is the one the code passes, never made up from the name; a name with no
    # context stated is no model fact
    assert models == {"orbit-max-plus": {"context": 204800}}
    english = PROSE_MODEL.replace("核心模型和功能", "Core Models and Features").replace(
        "**Orbit Max+ 模型：**", "**Orbit Max+ Model:**").replace(
        "- 200K 上下文窗口", "- 200K context window")
    assert facts(english, "services/api/orbit/_index.en.md")["models"] == models
    # a table that states the model wins: the prose only fills a context it does not state
    table = ("## 🤖 可用模型\n\n| 模型 ID | 上下文 |\n|---|---|\n| `orbit-max-plus` | 128K |\n\n")
    assert facts(table + PROSE_MODEL)["models"]["orbit-max-plus"] == {"context": 131072}


def test_a_prose_model_is_followed_and_never_invented(tmp_path: Path) -> None:
    # no code sample spells the name: no model
    unnamed = PROSE_MODEL.replace('model="orbit-max-plus"', 'model="orbit-other"')
    assert "models" not in facts(unnamed)
    # outside a models section, a bold name with a context bullet is not a model either
    elsewhere = PROSE_MODEL.replace("## 🤖 核心模型和功能", "## 💡 最佳实践")
    assert "models" not in facts(elsewhere)
    cut = PROSE_MODEL.replace("- 200K 上下文窗口", "- 128K 上下文窗口")
    events = _walk(tmp_path, [PROSE_MODEL, cut])
    assert [e.kind for e in events] == ["service_added", "context_changed"]
    assert (events[1].model, events[1].old, events[1].new, events[1].severity) == (
        "orbit-max-plus", 204800, 131072, "breaking")


NO_CARD_IN_CELL = """\
## 🔢 配额和定价

### 入门层级（免费）

| 项目 | 配额 | 说明 |
|------|------|------|
| 月度调用 | 500 calls | 无需信用卡 |
| 速率限制 | 5 req/min | 开发测试 |

### 专业层级（免费）

| 项目 | 配额 | 说明 |
|------|------|------|
| 月度调用 | 5,000 calls | 需验证信用卡 |
| 速率限制 | 500 req/min | 生产级 |
"""


def test_no_credit_card_stated_inside_a_quota_cell() -> None:
    got = facts(NO_CARD_IN_CELL)
    # the entry tier needs no card; the upper tier's card is that tier's, not the entry's
    assert got["credit_card_required"] is False
    assert "credit_card" not in got.get("requirements", [])
    details = ("## 🔢 配额和限制\n\n### 免费试用\n\n| 项目 | 详情 |\n|------|------|\n"
               "| **试用方式** | 免费试用（仅需手机验证，无需信用卡）|\n")
    assert facts(details)["credit_card_required"] is False
    english = ("## 🔢 Quotas and Pricing\n\n### Starter Tier (Free)\n\n"
               "| Item | Quota | Description |\n|---|---|---|\n"
               "| Monthly Calls | 500 calls | No credit card required |\n")
    assert facts(english, "services/api/orbit/_index.en.md")["credit_card_required"] is False
    # only a cell asking for a card: nothing said about the entry, nothing stated
    upper_only = NO_CARD_IN_CELL.replace("无需信用卡", "开发测试")
    assert "credit_card_required" not in facts(upper_only)
    # what the overview says wins over a cell
    overview = "## 📋 服务信息\n\n**注册要求：** 需要注册并绑定信用卡\n\n"
    assert facts(overview + NO_CARD_IN_CELL)["credit_card_required"] is True


def test_every_real_construct_names_a_test_and_every_layout_test_is_mapped() -> None:
    tests = {name for name, value in globals().items()
             if name.startswith("test_") and callable(value)}
    named = {test for _construct, _page, test in REAL_CONSTRUCTS}
    assert named - tests == set(), "REAL_CONSTRUCTS names tests that do not exist"
    unmapped = tests - named - {"test_every_real_construct_names_a_test_and_every_layout_test_is_mapped"}
    assert unmapped == set(), "add these layout tests to REAL_CONSTRUCTS with the page they read"
    assert all(construct and page for construct, page, _test in REAL_CONSTRUCTS)
