"""The overview block: name, provider, endpoint, service type, requirements, credit card, trial
credits."""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.model import Service
from tracker.quantities import parse_flag, parse_service_type
from tracker.sources.markdown import (
    Document,
    Field,
    first_url,
    label_key,
    mentions,
    plain,
)
from tracker.sources.page.credits import credits_in_parentheses, trial_credits
from tracker.sources.page.placeholders import holds_placeholder
from tracker.sources.page.vocabulary import (
    CATEGORY_TYPES,
    CLAUSE,
    CREDIT_CARD,
    ENDPOINT,
    FOOTER_PROVIDER,
    FREE_TYPE,
    KNOWN_LABELS,
    NAME,
    NEGATION_AFTER,
    NEGATION_BEFORE,
    OVERVIEW_WORDS,
    PAID_PLAN,
    POSITIVE,
    PREREQUISITE_WORDS,
    PROVIDER,
    PROVIDER_LINK,
    REQUIREMENT_WORDS,
    REQUIREMENTS,
    SERVICE_TYPE,
    TITLE_DECORATION,
    TRIAL,
)
from tracker.sources.page_text import load_front_matter

# --- overview --------------------------------------------------------------------------------

FieldIndex = dict[str, list[Field]]


def index_fields(doc: Document) -> FieldIndex:
    """The fields with a label this module reads, by label key: looked up once per page."""
    index: FieldIndex = {}
    for item in doc.fields:
        key = label_key(item.label)
        if key in KNOWN_LABELS:
            index.setdefault(key, []).append(item)
    return index


def fields(index: FieldIndex, labels: set[str]) -> list[Field]:
    """The fields with any of the labels, in page order."""
    # the page's few known labels looked up in the set, not the set's many in the page's index
    found = [item for label, items in index.items() if label in labels for item in items]
    if len(found) > 1:
        found.sort(key=lambda item: item.line)
    return found


def in_overview(item: Field) -> bool:
    return not item.section or mentions(item.section, OVERVIEW_WORDS)


def overview_field(index: FieldIndex, labels: set[str]) -> Field | None:
    """A field with one of the labels in the overview (or before any `##`).

    Plain lines win over list items: the template's overview callout has bullets such as
    `- **API 端点**：如果包含占位符…` that explain the format rather than state a fact.
    """
    found = [item for item in fields(index, labels) if in_overview(item)]
    return next((item for item in found if not item.bullet), found[0] if found else None)


def any_field(index: FieldIndex, labels: set[str], bullets: bool = True) -> Field | None:
    """A field anywhere, plain lines first, overview list items (format tips) last."""
    found = [item for item in fields(index, labels) if bullets or not item.bullet]
    found.sort(key=lambda item: (item.bullet, item.bullet and in_overview(item)))
    return found[0] if found else None


def read_overview(doc: Document, index: FieldIndex, service: Service, path: str) -> None:
    # Parsed even when a 服务名称 line makes the title moot: YAML that Hugo refuses must be a
    # warning, not a silent pass. Cached by text, so unchanged front matter costs one lookup.
    front_matter = load_front_matter(doc.front_matter, path, doc.front_matter_format) \
        if doc.front_matter is not None else {}
    name = overview_field(index, NAME)
    if name is not None and plain(name.value):
        service.name = plain(name.value)
    elif doc.heading and plain(doc.heading):
        service.name = plain(doc.heading)
    else:
        service.name = title_name(front_matter.get("title"))
        service.name_from_title = service.name is not None
    service.provider = _provider(index)
    endpoint = any_field(index, ENDPOINT)
    if endpoint is not None:
        service.endpoint = first_url(endpoint.value)
    stated_type = overview_field(index, FREE_TYPE) or overview_field(index, SERVICE_TYPE)
    if stated_type is not None and plain(stated_type.value) \
            and label_key(stated_type.value) not in CATEGORY_TYPES:
        service.service_type = parse_service_type(plain(stated_type.value))
        service.trial_credits = credits_in_parentheses(plain(stated_type.value))
    requirements = overview_field(index, REQUIREMENTS)
    if requirements is not None:
        paid_plans = PAID_PLAN.findall(plain(stated_type.value)) \
            if stated_type is not None else []
        service.requirements, service.credit_card_required = read_requirements(
            plain(requirements.value), paid_plans)
    if requirements is None:
        _read_checklist(doc, service)
    card = overview_field(index, CREDIT_CARD)
    if card is not None and parse_flag(plain(card.value)) is not None:
        service.credit_card_required = parse_flag(plain(card.value))
    credits = overview_field(index, TRIAL)
    if credits is not None and plain(credits.value):
        service.trial_credits = trial_credits(plain(credits.value), "")


def _provider(index: FieldIndex) -> str | None:
    """The slug of the `/providers/<slug>` link on the provider line, else in the footer."""
    footer = any_field(index, FOOTER_PROVIDER, bullets=False)
    for item in (overview_field(index, PROVIDER), footer):
        match = PROVIDER_LINK.search(item.value) if item is not None else None
        if match:
            return match.group(1)
    return None




def read_requirements(text: str, paid_plans: list[str] | tuple[str, ...] = ()
                      ) -> tuple[list[str], bool | None]:
    """Requirement names a registration text states, and what it says about a credit card.
    A clause about one of ``paid_plans`` (`Scale 计划需绑定支付方式`) is what upgrading asks
    for, not the entry plan: it is left out."""
    found, card = _requirements(text, tuple(paid_plans))
    return list(found), card


@lru_cache(maxsize=4096)  # every quota row asks it, and rows repeat in every version
def _requirements(text: str, paid_plans: tuple[str, ...]) -> tuple[tuple[str, ...], bool | None]:
    found: list[str] = []
    card: bool | None = None
    for clause in CLAUSE.split(text):
        if any(re.search(rf"\b{re.escape(plan)}\b", clause, re.IGNORECASE)
               for plan in paid_plans):
            continue
        hits = sorted((m.start(), m.end(), name) for name, pattern in REQUIREMENT_WORDS
                      for m in pattern.finditer(clause))
        for index, (start, end, name) in enumerate(hits):
            following = hits[index + 1][0] if index + 1 < len(hits) else len(clause)
            negated = _negated(clause, start, end, following)
            if name == "credit_card":
                card = not negated if card is None else card
            if not negated and name not in found:
                found.append(name)
    return tuple(found), card


def _negated(clause: str, start: int, end: int, following: int) -> bool:
    """A negation before the word (with no `需要` in between) or right after it (`可选`)."""
    before = None
    for match in NEGATION_BEFORE.finditer(clause, 0, start):
        before = match
    if before is not None and not POSITIVE.search(clause, before.end(), start):
        return True
    return NEGATION_AFTER.search(clause, end, following) is not None



def title_name(title: object) -> str | None:
    """The service's name from a front-matter title, its SEO decoration dropped:
    `DeepSeek API - 中文优化超低价 AI API 服务` → `DeepSeek API`; `Cohere - API` → `Cohere API`."""
    if title in (None, "") or holds_placeholder(str(title)):
        return None  # the template's `[服务名称] API`: not filled in, no name
    text = " ".join(str(title).split())
    head = TITLE_DECORATION.sub("", text)
    tail = text[len(head):].strip(" -–—|")
    if head and tail.lower() == "api" and not head.lower().endswith("api"):
        return f"{head} API"
    return head or text


def _read_checklist(doc: Document, service: Service) -> None:
    """`- ✅ 已完成实名认证` / `- ❌ 无需信用卡` under a prerequisites heading: what the entry
    tier asks for. When the list is grouped by tier (bold lines), the first group counts."""
    items = [item for item in doc.checklist
             if mentions(item.sub or item.section, PREREQUISITE_WORDS)]
    if not items:
        return
    first_group = items[0].label
    for item in items:
        if item.label != first_group or item.sub != items[0].sub:
            continue
        text = plain(item.value)
        done = text.startswith("✅")
        found, card = read_requirements(text.lstrip("✅❌ "))
        if done:
            service.requirements += [name for name in found if name not in service.requirements]
            if card is not None and service.credit_card_required is None:
                service.credit_card_required = card
        elif card is not None and service.credit_card_required is None:
            service.credit_card_required = False  # `❌ 无需信用卡`: not asked
