"""Every label and sentence the tracker writes, in Chinese and English: the one i18n table.

Renderers (page changelog, feeds, digest) take their words from here, so a label is changed once.
``summarize(event, lang)`` is the one-line summary of an event.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from tracker.model import LANGS as LANGS  # the words' languages, for renderers and templates
from tracker.model import LENGTH_KEYS, PRICE_FIELDS, UNLIMITED, Event, parse_moment

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "requests_per_minute": ("每分钟请求数", "Requests per minute"),
    "requests_per_hour": ("每小时请求数", "Requests per hour"),
    "requests_per_day": ("每日请求数", "Requests per day"),
    "requests_per_month": ("每月请求数", "Requests per month"),
    "tokens_per_minute": ("每分钟 Token 数", "Tokens per minute"),
    "tokens_per_day": ("每日 Token 数", "Tokens per day"),
    "tokens_per_month": ("每月 Token 数", "Tokens per month"),
    "neurons_per_day": ("每日神经元数", "Neurons per day"),
    "concurrency": ("并发请求", "Concurrent requests"),
    "max_context": ("最大上下文长度", "Max context length"),
    "max_output": ("最大输出长度", "Max output length"),
    "max_input": ("每次最大输入", "Max input per request"),
    "context": ("上下文长度", "Context length"),
    "input_price": ("输入价格", "Input price"),
    "output_price": ("输出价格", "Output price"),
    "cache_read_price": ("缓存读取价格", "Cache read price"),
    "cache_write_price": ("缓存写入价格", "Cache write price"),
    "currency": ("币种", "Currency"),
    "tier": ("服务类型", "Service type"),
    "trial_credits": ("试用积分", "Trial credits"),
    "trial_credits.amount": ("试用积分", "Trial credits"),
    "trial_credits.currency": ("试用积分币种", "Trial credit currency"),
    "trial_credits.valid_days": ("试用积分有效期（天）", "Trial credit validity (days)"),
    "endpoint": ("API 端点", "API endpoint"),
    "quota_reset": ("配额重置", "Quota reset"),
    "name": ("服务名称", "Service name"),
    "provider": ("提供者", "Provider"),
    "requirements": ("注册要求", "Requirements"),
    "credit_card_required": ("需要信用卡", "Credit card required"),
    "deprecated": ("弃用", "Deprecated"),
    "shutdown_date": ("停用日期", "Shutdown date"),
}

KIND_LABELS: dict[str, tuple[str, str]] = {
    "service_added": ("新服务", "New service"),
    "service_removed": ("服务下线", "Service removed"),
    "service_renamed": ("服务迁移", "Service moved"),
    "model_added": ("新模型", "New model"),
    "model_removed": ("模型下线", "Model removed"),
    "model_deprecated": ("模型弃用", "Model deprecated"),
    "context_changed": ("上下文变化", "Context changed"),
    "output_changed": ("输出长度变化", "Output length changed"),
    "quota_cut": ("配额削减", "Quota cut"),
    "quota_raised": ("配额提升", "Quota raised"),
    "quota_added": ("新增限制", "Limit added"),
    "quota_removed": ("限制取消", "Limit removed"),
    "price_increase": ("涨价", "Price increase"),
    "price_decrease": ("降价", "Price decrease"),
    "price_added": ("新增价格", "Price added"),
    "price_removed": ("价格移除", "Price removed"),
    "tier_changed": ("服务类型变化", "Service type changed"),
    "credits_changed": ("试用积分变化", "Trial credits changed"),
    "requirement_added": ("新增要求", "New requirement"),
    "requirement_removed": ("要求取消", "Requirement dropped"),
    "endpoint_changed": ("端点变更", "Endpoint changed"),
    "reset_changed": ("重置规则变化", "Reset rule changed"),
    "info_changed": ("信息更新", "Info changed"),
}

SEVERITY_LABELS: dict[str, tuple[str, str]] = {
    "breaking": ("重大变化", "Breaking"),
    "notable": ("值得关注", "Notable"),
    "info": ("信息", "Info"),
}

TIER_LABELS: dict[str, tuple[str, str]] = {
    "free": ("完全免费", "Completely free"),
    "limited-free": ("有限免费", "Limited free"),
    "trial-credits": ("试用积分", "Trial credits"),
    "paid": ("付费", "Paid"),
}

REQUIREMENT_LABELS: dict[str, tuple[str, str]] = {
    "registration": ("注册", "registration"),
    "credit_card": ("信用卡", "credit card"),
    "real_name": ("实名认证", "real-name verification"),
    "phone": ("手机号验证", "phone verification"),
    "waitlist": ("排队申请", "waitlist"),
}

# Words around values; "{x}" placeholders are filled by summarize().
PHRASES: dict[str, tuple[str, str]] = {
    "service_added": ("新增服务 {name}", "new service {name}"),
    "service_removed": ("服务下线 {name}", "service {name} removed"),
    "service_renamed": ("服务迁移 {old} → {new}", "service moved {old} → {new}"),
    "model_added": ("新增模型 {model}", "new model {model}"),
    "model_removed": ("移除模型 {model}", "model {model} removed"),
    "model_deprecated": ("模型 {model} 已弃用", "model {model} deprecated"),
    "model_shutdown": ("模型 {model} 将于 {date} 停用", "model {model} shuts down on {date}"),
    "quota_added": ("新增限制 {label} {new}", "new limit: {label} {new}"),
    "quota_removed": ("不再标明 {label}（原 {old}）", "{label} no longer stated (was {old})"),
    "price_added": ("新增{label} {new}", "{label} added: {new}"),
    "price_removed": ("移除{label}（原 {old}）", "{label} removed (was {old})"),
    "requirement_added": ("新增要求：{what}", "now requires {what}"),
    "requirement_removed": ("不再要求：{what}", "no longer requires {what}"),
    "change": ("{label} {old} → {new}", "{label} {old} → {new}"),
    # an announced price change (an event with an effective day)
    "from_day": ("{line}，{date} 起", "{line} from {date}"),
    "withdrawn": ("{label}原定 {date} 起调整为 {old}，已撤回",
                  "{label} change to {old} from {date} withdrawn"),
    "pct": ("（{pct}）", " ({pct})"),
    "none": ("无", "none"),
    "unlimited": ("无限制", "unlimited"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "join": ("；", "; "),
    "scope": ("{scope} ", "{scope} "),
    "month": ("{year}年{month}月", "{month_name} {year}"),
    "month_spaced": ("{year} 年 {month} 月", "{month_name} {year}"),  # a page's own style
    "week": ("{year} 年第 {week} 周", "Week {week}, {year}"),
    "changelog_heading": ("## 📝 更新日志", "## 📝 Changelog"),
    "entry_colon": ("：", ":"),
    "inline_colon": ("：", ": "),
    "note": ("（{note}）", " ({note})"),
    "source": ("来源", "source"),
    # feeds: item title, "more" suffix (zh counts all items, en the others), table headings
    "feed_title": ("[{kind}] {name}：{summary}", "[{kind}] {name}: {summary}"),
    "feed_more": ("{summary} 等 {total} 项", "{summary} and {more} more"),
    "feed_kind": ("类型", "Kind"),
    "feed_what": ("项目", "What"),
    "feed_values": ("原值 → 新值", "Old → new"),
    "feed_change": ("幅度", "Change"),
    "feed_note": ("备注：", "Note: "),
    "feed_source": ("来源", "Source"),
    # digest (render/digest.py); "{s}" is the English plural ending, unused in Chinese
    "digest_subject": ("{title} {period}：{summary}", "{title} {period}: {summary}"),
    "digest_none": ("无重大变化", "no changes"),
    "digest_sep": ("、", ", "),
    "digest_total": ("{n} 项更新", "{n} change{s}"),
    "digest_headline": ("本期共 {n} 项变化，涉及 {services} 个服务，其中 {breaking} 项重大变化。",
                        "{n} change{s} across {services} service{services_s}, "
                        "{breaking} breaking."),
    "digest_headline_empty": ("本期没有记录到变化。", "No changes were recorded in this period."),
    "digest_period": ("{start} 至 {end}", "{start} to {end}"),
    "digest_section_breaking": ("重大变化", "Breaking changes"),
    "digest_section_new": ("新服务与新模型", "New services and models"),
    "digest_section_prices": ("价格变化", "Price changes"),
    "digest_section_other": ("其他变化", "Other changes"),
    "digest_source": ("来源", "source"),
    "digest_unsubscribe": ("退订", "Unsubscribe"),
    "digest_count_service_removed": ("{n} 个服务下线", "{n} service{s} removed"),
    "digest_count_quota_cut": ("{n} 项配额削减", "{n} quota cut{s}"),
    "digest_count_model_removed": ("{n} 个模型下线", "{n} model{s} removed"),
    "digest_count_model_deprecated": ("{n} 个模型弃用", "{n} model{s} deprecated"),
    "digest_count_price_increase": ("{n} 项涨价", "{n} price increase{s}"),
    "digest_count_requirement_added": ("{n} 项新要求", "{n} new requirement{s}"),
    "digest_count_service_added": ("{n} 个新服务", "{n} new service{s}"),
    "digest_count_model_added": ("{n} 个新模型", "{n} new model{s}"),
    "digest_count_price_decrease": ("{n} 项降价", "{n} price cut{s}"),
    "digest_count_quota_raised": ("{n} 项配额提升", "{n} quota raise{s}"),
    # a breaking change of a kind that is not always breaking: the worse direction, named
    "digest_count_context_changed_cut": ("{n} 项上下文缩短", "{n} context cut{s}"),
    "digest_count_output_changed_cut": ("{n} 项输出上限缩短", "{n} output limit cut{s}"),
    "digest_count_tier_changed_cut": ("{n} 项服务类型降级", "{n} tier downgrade{s}"),
    "digest_count_credits_changed_cut": ("{n} 项试用积分减少", "{n} trial credit cut{s}"),
    "digest_count_endpoint_changed_cut": ("{n} 项端点变更", "{n} endpoint change{s}"),
    "digest_count_kind": ("{n} 项{label}", "{n} × {label}"),
    "digest_count_more": ("另 {n} 项更新", "{n} more change{s}"),
    "digest_chart": ("{name} 限额与价格走势图", "{name}: limits and prices over time"),
    "digest_chart_alt": ("限额与价格走势图", "Chart of limits and prices over time"),
    "chart_mail_models": ("{n} 个模型的价格", "Prices of {n} model{s}"),
    "digest_chart_lines": ("价格：实线为输入，虚线为输出", "prices: input solid, output dashed"),
    "digest_chart_unlimited": ("∞ 表示无限制", "∞ means unlimited"),
    # charts (render/charts.py): heading, panel titles with units, axis words, description
    "chart_title": ("{name} · 限额与价格变化", "{name} · limits and prices over time"),
    "chart_span": ("{start} 至 {end}", "{start} to {end}"),
    "chart_panel": ("{label}（{unit}）", "{label} ({unit})"),
    "chart_tier": ("{tier} · {label}", "{tier} · {label}"),
    "chart_price_unit": ("{currency}/百万 Token", "{currency} per 1M tokens"),
    "chart_prices": ("{model} 价格", "{model} prices"),
    "chart_input": ("输入", "input"),
    "chart_output": ("输出", "output"),
    "chart_month": ("{year}年{month}月", "{month_abbr} {year}"),
    "chart_value_at": ("{value}（{date}）", "{value} ({date})"),
    "chart_not_stated": ("未标明", "not stated"),
    "chart_line": ("{label}：{values}", "{label}: {values}"),
    "chart_unchanged": ("限额与价格均未变化", "no limit or price changed"),
    "chart_steady": ("未变化：{items}", "Unchanged: {items}"),
    "chart_steady_more": ("等 {n} 项", "and {n} more"),
    "chart_alt": ("{name} 限额与价格变化图", "Chart of {name} limits and prices over time"),
    # calendar (render/calendar.py) and subscriptions (render/opml.py)
    "shutdown_summary": ("{model} 停用（{name}）", "{model} shuts down ({name})"),
    "shutdown_description": ("{name} 的模型 {model} 将于 {date} 停用。",
                             "Model {model} of {name} shuts down on {date}."),
    "price_summary": ("{what}（{name}）", "{what} ({name})"),
    "price_description": ("{name}：{what}。", "{name}: {what}."),
    "calendar_name": ("{title} · 模型停用日历", "{title} · model shutdowns"),
    "opml_all": ("{title}", "{title}"),
    "opml_formats": ("其他格式（条目相同）", "Other formats (same items)"),
    "opml_providers": ("按提供者", "By provider"),
    "opml_services": ("按服务", "By service"),
    # the step summary of a run under GitHub Actions (report.py); "{s}": English plurals
    "step_counts": ("遍历 {commits} 个提交，新事件 {events} 项。",
                    "{commits} commit{commits_s} walked, {events} new event{events_s}."),
    "step_columns": ("| 日期 | 服务 | 类型 | 严重程度 | 变化 |",
                     "| date | service | kind | severity | change |"),
    "updates_subscribe": ("订阅全部更新：[OPML]({opml})（导入阅读器）· [停用日历]({ics})",
                          "Subscribe to everything: [OPML]({opml}) (import into a reader) · "
                          "[shutdown calendar]({ics})"),
}

# The unit of each charted rate limit, shown in its panel's title.
CHART_UNITS: dict[str, tuple[str, str]] = {
    "requests_per_minute": ("次/分钟", "requests/min"),
    "requests_per_hour": ("次/小时", "requests/hour"),
    "requests_per_day": ("次/天", "requests/day"),
    "requests_per_month": ("次/月", "requests/month"),
    "tokens_per_minute": ("Token/分钟", "tokens/min"),
    "tokens_per_day": ("Token/天", "tokens/day"),
    "tokens_per_month": ("Token/月", "tokens/month"),
    "concurrency": ("个请求", "requests"),
}

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")

CURRENCY_SIGNS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "JPY": "¥"}


# The fixed words of tier and series names on Chinese pages (`Trial 层级`, `Gemini Flash 系列`,
# `免费层级`), for an English output whose page has no English twin to name them; longest first.
NAME_WORDS: dict[str, str] = {
    "免费层级": "free tier",
    "付费层级": "paid tier",
    "免费额度": "free quota",
    "免费": "free",
    "付费": "paid",
    "试用": "trial",
    "层级": "tier",
    "等级": "tier",
    "系列": "series",
    "模型": "models",
    "计划": "plan",
    "套餐": "plan",
    "版本": "edition",
    "企业版": "enterprise",
    "专业版": "pro",
    "标准版": "standard",
    "基础版": "basic",
    "个人版": "personal",
}
_NAME_WORD = re.compile("|".join(sorted(map(re.escape, NAME_WORDS), key=len, reverse=True)))
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_han(text: str) -> bool:
    """Whether ``text`` holds Chinese characters."""
    return bool(_HAN.search(text))


def translate_name(name: str, lang: str) -> str:
    """A tier or series name in ``lang``: `Trial 层级` → `Trial tier`, `免费层级` → `Free tier`.
    A name that is not wholly fixed words and Latin text stays as it is (never half-translated)."""
    if lang != "en" or not _HAN.search(name):
        return name
    words = _NAME_WORD.sub(lambda m: f" {NAME_WORDS[m.group(0)]} ", name)
    if _HAN.search(words):
        return name
    english = " ".join(words.split())
    return english[:1].upper() + english[1:] if _HAN.match(name) else english


def text(key: str, lang: str, **values: Any) -> str:
    """A phrase from the table, filled in."""
    zh, en = PHRASES[key]
    return (en if lang == "en" else zh).format(**values)


def _pick(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    pair = table.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def field_label(name: str | None, lang: str) -> str:
    return _pick(FIELD_LABELS, name or "", lang)


def kind_label(kind: str, lang: str) -> str:
    return _pick(KIND_LABELS, kind, lang)


def severity_label(severity: str, lang: str) -> str:
    return _pick(SEVERITY_LABELS, severity, lang)


def chart_unit(name: str, lang: str) -> str:
    return _pick(CHART_UNITS, name, lang)


def month_label(date: str | datetime, lang: str, spaced: bool = False) -> str:
    """'2025年11月' ('2025 年 11 月' when ``spaced``) / 'November 2025' for an ISO date."""
    when = parse_moment(date) if isinstance(date, str) else date
    return text("month_spaced" if spaced else "month", lang, year=when.year, month=when.month,
                month_name=MONTH_NAMES[when.month - 1])


def format_number(value: Any, *, length: bool = False) -> str:
    """14400 → '14,400'; with length=True, 131072 → '128K' and 1048576 → '1M'."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if length and isinstance(value, int) and value >= 1024:
        if value % 1048576 == 0:
            return f"{value // 1048576}M"
        if value % 1024 == 0:
            return f"{value // 1024}K"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


PERIOD_LABELS = {"month": ("/月", "/month"), "day": ("/天", "/day"), "week": ("/周", "/week"),
                 "year": ("/年", "/year")}


def format_value(value: Any, lang: str, *, field: str | None = None,
                 currency: str | None = None) -> str:
    """A value as a reader sees it: numbers grouped, unlimited spelled out, prices with a sign."""
    if value is None:
        return text("none", lang)
    if value == UNLIMITED:
        return text("unlimited", lang)
    if isinstance(value, bool):
        return text("yes" if value else "no", lang)
    if field == "tier" and isinstance(value, str):
        return _pick(TIER_LABELS, value, lang)
    if field == "requirements" and isinstance(value, list):
        return ", ".join(_pick(REQUIREMENT_LABELS, v, lang) for v in value) or text("none", lang)
    if field in PRICE_FIELDS and isinstance(value, (int, float)):
        sign = CURRENCY_SIGNS.get(currency or "", "")
        amount = format_number(value)
        if not sign and currency:
            return f"{amount} {currency}/M"
        return f"{sign}{amount}/M"
    if isinstance(value, dict):
        if "amount" in value:
            sign = CURRENCY_SIGNS.get(value.get("currency") or "", "")
            days = value.get("valid_days")
            out = f"{sign}{format_number(value['amount'])}"
            if value.get("period") in PERIOD_LABELS:
                out += PERIOD_LABELS[value["period"]][lang == "en"]
            return out + (f"（{days} 天）" if lang == "zh" else f" ({days} days)") if days else out
        return ", ".join(f"{k}={format_value(v, lang)}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return format_number(value, length=field in LENGTH_KEYS)


def format_pct(pct: float | None, lang: str) -> str:
    if pct is None:
        return ""
    return text("pct", lang, pct=f"{pct:+.0f}%")


# How each kind's one-line summary is made: the one place a new kind says it (a test checks every
# kind is here). "name": the service's name; "rename": old → new id; "model": the model id;
# "deprecation": the model, with its shutdown date when it has one; "requirement": what is (no
# longer) required; "added" / "removed": the label and the new / old value; "change": the label,
# old → new and the percent. The forms other than "change" take the kind's own PHRASES entry.
SUMMARY_FORMS: dict[str, str] = {
    "service_added": "name", "service_removed": "name", "service_renamed": "rename",
    "model_added": "model", "model_removed": "model", "model_deprecated": "deprecation",
    "context_changed": "change", "output_changed": "change",
    "quota_cut": "change", "quota_raised": "change",
    "quota_added": "added", "quota_removed": "removed",
    "price_increase": "change", "price_decrease": "change",
    "price_added": "added", "price_removed": "removed",
    "tier_changed": "change", "credits_changed": "change",
    "requirement_added": "requirement", "requirement_removed": "requirement",
    "endpoint_changed": "change", "reset_changed": "change", "info_changed": "change",
}

# The forms whose line says all there is: no field, no old → new (a feed item shows no columns).
_WHOLE_FORMS = frozenset({"name", "rename", "model", "deprecation", "requirement"})


def summary_says_all(kind: str) -> bool:
    """Whether a ``kind`` event's summary is all there is to show of it (no values columns)."""
    return SUMMARY_FORMS.get(kind, "change") in _WHOLE_FORMS


def summarize(event: Event, lang: str = "zh") -> str:
    """The one line a subscriber reads: '每日请求数 14,400 → 1,000（-93%）'."""
    def fmt(value: Any, side: int = 1) -> str:
        return format_value(value, lang, field=event.field, currency=event.currencies[side])

    label = field_label(event.field, lang)
    scope = " ".join(s for s in (event.model, event.tier) if s)
    prefix = text("scope", lang, scope=scope) if scope else ""
    kind = event.kind
    form = SUMMARY_FORMS.get(kind, "change")  # a kind this version does not know: its values
    if form == "name":
        return text(kind, lang, name=event.service_name or event.service)
    if form == "rename":
        return text(kind, lang, old=event.old, new=event.new)
    if form == "model":
        return text(kind, lang, model=event.model)
    if form == "deprecation":
        if event.field == "shutdown_date" and event.new:
            return text("model_shutdown", lang, model=event.model, date=event.new)
        return text(kind, lang, model=event.model)
    if form == "requirement":
        what = _pick(REQUIREMENT_LABELS, str(event.new if kind.endswith("added") else event.old),
                     lang)
        return text(kind, lang, what=what)
    if event.effective and kind == "info_changed" and event.new is None:
        return prefix + text("withdrawn", lang, label=label, old=fmt(event.old, 0),
                             date=event.effective)
    if form == "added":
        line = text(kind, lang, label=label, new=fmt(event.new))
    elif form == "removed":
        line = text(kind, lang, label=label, old=fmt(event.old, 0))
    else:
        line = text("change", lang, label=label, old=fmt(event.old, 0), new=fmt(event.new))
        line = line.strip()
    if event.effective:  # announced: it takes effect on that day, not at the commit
        line = text("from_day", lang, line=line, date=event.effective)
    # a value newly stated or no longer stated has no percent
    pct = format_pct(event.change_pct, lang) if form == "change" else ""
    return prefix + line + pct
