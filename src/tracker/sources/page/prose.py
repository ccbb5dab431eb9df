"""Models a page names only in prose: a bold line naming the model, bullets stating its context,
and its id in the page's code samples.

`**Command R+ 模型：**` then `- 128K 上下文窗口` under a models heading, with
`model="command-r-plus"` in a code block: the model ``command-r-plus`` with a 128K context. The id
is never made up from the name: a name that no id in the code samples spells is no model, and a
model a table already states keeps the table's facts (only a missing context is filled in).
"""

from __future__ import annotations

import re

from tracker.model import Model
from tracker.quantities import parse_length
from tracker.sources.markdown import Document, label_key, mentions, plain
from tracker.sources.page.prices import model_named
from tracker.sources.page.vocabulary import CONTEXT_HEADERS, MODEL_WORDS

# `model="command-r-plus"`, `"model": "x"`, `model: 'x'` in a code sample
CODE_MODEL_ID = re.compile(r"""\bmodel["']?\s*[=:]\s*["']([A-Za-z0-9][\w.:/-]{0,80})["']""")
# `Command R+ 模型`, `Command R+ Model`: the name the bold line gives
NAMED_MODEL = re.compile(r"^(.+?)\s*(?:模型|models?)$", re.IGNORECASE)
# `128K 上下文窗口`, `128K context window`, `128K tokens context`
CONTEXT_BULLET = re.compile(r"^(\d[\d,.]*\s*[KkMm万]?)\s*(?:tokens?\s*)?(?:上下文|context\b)",
                            re.IGNORECASE)


def code_model_ids(doc: Document) -> list[str]:
    """Every model id the page's code samples pass, first use first."""
    found: dict[str, None] = {}
    for block in doc.code:
        for match in CODE_MODEL_ID.finditer(block):
            found.setdefault(match.group(1), None)
    return list(found)


def _spelled(name: str) -> str:
    """`Command R+` → `Command R plus`: a `+` in a name is the `-plus` of its id."""
    return re.sub(r"\+", " plus", name)


def read_prose_models(doc: Document, models: dict[str, Model]) -> None:
    """The models named only in prose (see the module docstring), into ``models``."""
    ids: list[str] | None = None
    for group, length in _stated_contexts(doc):
        named = NAMED_MODEL.match(group)
        if named is None:
            continue
        if ids is None:
            ids = code_model_ids(doc)
        model_id = model_named(_spelled(named.group(1)), ids)
        if model_id is None:
            continue
        model = models.setdefault(model_id, Model())
        if model.context is None:
            model.context = length


def _stated_contexts(doc: Document) -> list[tuple[str, int]]:
    """(bold line, context length) for each bullet list under a models heading that states
    a context: `- 128K 上下文窗口`, or `- 上下文窗口：128K`."""
    found: dict[str, int] = {}
    for bullet in doc.bullets:
        match = CONTEXT_BULLET.match(plain(bullet.value))
        if match is not None and mentions(bullet.section, MODEL_WORDS):
            length = parse_length(match.group(1))
            if isinstance(length, int):
                found.setdefault(bullet.group, length)
    for item in doc.items:
        if label_key(item.label) in CONTEXT_HEADERS and mentions(item.section, MODEL_WORDS):
            length = parse_length(plain(item.value).split()[0] if plain(item.value) else "")
            if isinstance(length, int):
                found.setdefault(item.group, length)
    return [(plain(group), length) for group, length in found.items() if group]
