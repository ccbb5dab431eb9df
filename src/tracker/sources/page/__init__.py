"""Service pages (Markdown, zh/en) → ``Service``: the facts one page states about its service.

One reader per block of the page (``overview``, ``limits``, ``models`` with ``prices`` and
``credits``), the words they look for in ``vocabulary``. Sections are recognised by heading words,
never emoji; tables by their header cells. Every cell value goes through ``tracker.quantities``;
what does not parse keeps its raw text. The only exception raised is ``ParseError``.
"""

from __future__ import annotations

from tracker.model import Service
from tracker.paths import page_identity  # the one rule for a page's service and language
from tracker.sources.markdown import mentions, scan_page
from tracker.sources.page.limits import read_quotas
from tracker.sources.page.models import read_models
from tracker.sources.page.overview import index_fields, read_overview
from tracker.sources.page.vocabulary import FACT_WORDS

__all__ = ["page_identity", "parse_page"]


def _holds_facts(heading: str) -> bool:
    """The `##` sections read in full: overview, quotas, models and prices, resources."""
    return mentions(heading, FACT_WORDS)


def parse_page(raw: bytes, path: str, default_lang: str = "zh") -> Service:
    """Parse one version of a service page. Raises ParseError (with the line) and nothing else."""
    service_id, lang = page_identity(path, default_lang)
    doc = scan_page(raw, path, _holds_facts)
    service = Service(id=service_id, path=path, lang=lang)
    index = index_fields(doc)
    read_overview(doc, index, service, path)
    read_quotas(doc, index, service, path)
    read_models(doc, index, service, path)
    return service


