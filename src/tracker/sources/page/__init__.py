"""Service pages (Markdown, zh/en) → ``Service``: the facts one page states about its service.

One reader per block of the page (``overview``, ``limits``, ``models`` with ``prices`` and
``credits``), the words they look for in ``vocabulary``. Sections are recognised by heading words,
never emoji; tables by their header cells. Every cell value goes through ``tracker.quantities``;
what does not parse keeps its raw text. The only exception raised is ``ParseError``.
"""

from __future__ import annotations

import copy
from functools import lru_cache

from tracker.errors import ParseError
from tracker.model import SECTION_FIELDS, Quantity, SectionProblem, Service
from tracker.paths import page_identity  # the one rule for a page's service and language
from tracker.sources import fences
from tracker.sources.markdown import cell_id, label_key, mentions, plain
from tracker.sources.page.limits import limit_value, read_model_rate_lines, read_quotas
from tracker.sources.page.models import _row_model, read_models
from tracker.sources.page.overview import _requirements, index_fields, read_overview
from tracker.sources.page.placeholders import blank_in, holds_placeholder
from tracker.sources.page.prices import model_named
from tracker.sources.page.tables import heading_name
from tracker.sources.page.vocabulary import FACT_WORDS, ID_WORDS
from tracker.sources.sections import LAST, SECTIONS, scan_page

__all__ = ["clear_memos", "page_identity", "parse_page"]


_identity = lru_cache(maxsize=4096)(page_identity)  # pure; every version of a page asks it


@lru_cache(maxsize=4096)
def _holds_facts(heading: str) -> bool:
    """The `##` sections read in full: overview, quotas, models and prices, resources."""
    return mentions(heading, FACT_WORDS)


def parse_page(raw: bytes, path: str, default_lang: str = "zh") -> Service:
    """Parse one version of a service page. Raises ParseError (with the line) and nothing else
    when the page as a whole cannot be read; a section that cannot be read is left empty and
    named in ``Service.problems``."""
    service_id, lang = _identity(path, default_lang)
    # a copy of the template not filled in: its placeholders state nothing
    doc = scan_page(raw, path, _holds_facts,
                    blank_in if b"[" in raw or "❌".encode() in raw else None)
    service = Service(id=service_id, path=path, lang=lang)
    index = index_fields(doc)
    read_overview(doc, index, service, path)  # fails only with the front matter: page-wide
    for section, reader in (("limits", read_quotas), ("models", read_models)):
        kept = {name: _copy(getattr(service, name)) for name in SECTION_FIELDS[section]}
        try:
            reader(doc, index, service, path)
        except ParseError as error:
            # one odd table must not blind the whole page: the section adds nothing here and
            # the walk keeps its last good facts (a page-wide problem still raises)
            for name, value in kept.items():
                setattr(service, name, value)
            service.problems.append(SectionProblem(section, error.line, error.message,
                                                   error.hint))
    read_model_rate_lines(doc, service)
    _join_model_limits(service)
    return service


def _copy(value: object) -> object:
    """A copy to put back if the reader fails: deep, but none for what cannot change in place
    and no deepcopy for the empty dict a reader starts from (most of them, every page)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict) and not value:
        return {}
    return copy.deepcopy(value)


def clear_memos() -> None:
    """Forget every section scanned and every cell read (tests, benchmarks): the next parse
    works everything out from the page alone, as the first one of a process does."""
    SECTIONS.clear()
    LAST.clear()
    for memo in (plain, cell_id, label_key, mentions, _identity, holds_placeholder, heading_name,
                 limit_value, _row_model, _requirements, _holds_facts, fences._opener,
                 fences._closes):
        memo.cache_clear()


def _join_model_limits(service: Service) -> None:
    """A limits table keyed by a model's display name (`Gemini 2.5 Flash`) states that model's
    limits: they are keyed by its id (`gemini-2.5-flash`), as the models are. A name without
    spaces (`GPT-4o`, `ERNIE-3.5-8K`) joins only an id with the very same words."""
    ids = [key for key in service.models if " " not in key]
    joined: dict[str, dict[str, Quantity]] = {}
    for name, limits in service.quota_tiers.items():
        model_id = model_named(name, ids) if " " in name else \
            _same_words(name, ids) if name not in service.models else None
        key = model_id if model_id is not None and model_id not in service.quota_tiers else name
        joined.setdefault(key, {}).update(limits)
    service.quota_tiers = dict(sorted(joined.items()))


def _same_words(name: str, ids: list[str]) -> str | None:
    """The one id spelled with the same words as ``name``, case aside: `GPT-4o` → `gpt-4o`."""
    words = ID_WORDS.findall(name.lower())
    same = [key for key in ids if ID_WORDS.findall(key.lower()) == words]
    return same[0] if words and len(same) == 1 else None
