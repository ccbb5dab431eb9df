"""Service pages (Markdown, zh/en) → ``Service``: the facts one page states about its service.

One reader per block of the page (``overview``, ``limits``, ``models`` with ``prices`` and
``credits``), the words they look for in ``vocabulary``. Sections are recognised by heading words,
never emoji; tables by their header cells. Every cell value goes through ``tracker.quantities``;
what does not parse keeps its raw text. The only exception raised is ``ParseError``.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from tracker.errors import ParseError
from tracker.model import Service
from tracker.sources.markdown import mentions, scan_page
from tracker.sources.page.limits import read_quotas
from tracker.sources.page.models import read_models
from tracker.sources.page.overview import index_fields, read_overview
from tracker.sources.page.vocabulary import FACT_WORDS

_INDEX_NAME = re.compile(r"^_?index(?:\.([A-Za-z][A-Za-z_-]*))?\.md$", re.IGNORECASE)

__all__ = ["page_identity", "parse_page"]

def page_identity(path: str, default_lang: str = "zh") -> tuple[str, str]:
    """(service id, language) of a page path: the folder slug and the `_index.<lang>.md` suffix."""
    pure = PurePosixPath(path.replace("\\", "/"))
    match = _INDEX_NAME.match(pure.name)
    if match:
        slug, lang = pure.parent.name, match.group(1)
    else:
        stem, _, lang = pure.name.removesuffix(".md").partition(".")
        slug = stem
    if not slug or slug in (".", ".."):
        raise ParseError("cannot tell the service id from the path", path=path,
                         hint="pages live at services/api/<slug>/_index.md")
    return slug, (lang.lower() if lang else default_lang)


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


