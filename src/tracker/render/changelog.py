"""The generated part of each service page's 更新日志 / Changelog section: render, place, write.

``render_changelog`` turns one service's events into the lines between the markers (template
``changelog.md.j2``); ``rewrite_changelog`` puts them into a page's text; ``update_pages`` does
that for every service page of the site. Hand-written entries outside the markers are kept.

What goes on a page: every event except an ``info_changed`` from one text to another (a reworded
cell is noise in a reader's changelog), unless a maintainer attached a note to it in
overrides.yaml. A number that became text (``30 → 视模型而定``) is shown.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from tracker import i18n
from tracker.errors import TrackerError
from tracker.links import web_url
from tracker.model import Event, instant, severity_rank
from tracker.render import environment
from tracker.render.charts import chart_link
from tracker.render.markers import (
    Page,
    PageChange,
    apply,
    find_markers,
    marked,
    md_escape,
    rewrite_marked,
    write_changes,
)
from tracker.render.names import localized, pages_of

if TYPE_CHECKING:
    import jinja2

    from tracker.config import Config

MARKER = "changelog"
TEMPLATE = "changelog.md.j2"

HEADING_TITLES = ("更新日志", "changelog", "update log")

_HEADING = re.compile(r"^ {0,3}##[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FOOTER = re.compile(r"^ {0,3}\*\*[ \t]*(服务提供者|Service Provider)[ \t]*[：:]?[ \t]*\*\*")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


def on_page(event: Event) -> bool:
    """Whether an event belongs in a page's changelog (see the module docstring)."""
    reworded = isinstance(event.old, str) and isinstance(event.new, str)
    return event.kind != "info_changed" or not reworded or bool(event.note)


def safe_url(url: str | None) -> str | None:
    """An http(s) address usable as a Markdown link target, or None for anything else."""
    url = web_url(url)
    # parentheses, brackets, braces and quotes would end the link or open a shortcode
    return None if url is None else quote(url, safe=":/?#@!$&*+,;=%~-._")


def markdown_environment(config: Config) -> jinja2.Environment:
    """The shared environment plus the filters Markdown templates need (``md``, ``safe_url``)."""
    env = environment(config)
    env.filters["md"] = md_escape
    env.filters["safe_url"] = safe_url
    return env


# A hand-written entry's date: `- **2025 年 1 月：**` (spaced) or `- **2025年1月：**`
_HAND_DATE = re.compile(r"^\s*[-*+]\s+\*\*\d{4}( ?)年\s*\d{1,2}\s*月")


def spaced_dates(text: str, page: Page | None = None) -> bool:
    """Whether the page's own (hand-written) changelog entries write `2025 年 1 月`, which the
    generated ones then follow; the entries inside our block do not count. ``page``: the
    text's Page, when the caller has it."""
    if "年" not in text:  # every date the pattern matches has it
        return False
    block = find_markers(Page(text) if page is None else page, MARKER)
    for index, line in enumerate(text.splitlines()):
        if "年" not in line or block is not None and block[0] <= index <= block[1]:
            continue
        match = _HAND_DATE.match(line)
        if match is not None:
            return bool(match.group(1))
    return False


def _months(events: list[Event], lang: str, spaced: bool = False) -> list[dict[str, object]]:
    """Events grouped by month of their (local) date, newest month first; within a month
    newest first (as in the feeds), then breaking, notable, info within one commit."""
    groups: dict[tuple[int, int], list[Event]] = defaultdict(list)
    for event in events:
        local = event.moment  # the month of the author's date, as the ledger files it
        groups[(local.year, local.month)].append(event)
    months: list[dict[str, object]] = []
    for key in sorted(groups, reverse=True):
        ordered = sorted(groups[key], key=lambda e: (-instant(e.date),
                                                     severity_rank(e.severity), e.id))
        months.append({"label": i18n.month_label(ordered[0].moment, lang, spaced),
                       "events": ordered})
    return months


def render_changelog(events: list[Event], lang: str, config: Config,
                     chart: dict[str, str] | None = None, spaced: bool = False) -> str:
    """The lines between the markers, one per month: ``- **2025年11月：** a；b`` (``2025 年 11
    月`` when ``spaced``), below the service's chart (``{"link", "alt"}``) when it has one.
    Empty when none of the events belongs on a page."""
    shown = [e for e in events if on_page(e)]
    if not shown:
        return ""
    template = markdown_environment(config).get_template(TEMPLATE)
    return template.render(months=_months(shown, lang, spaced), lang=lang, chart=chart)


def chart_image(config: Config, service: str, name: str, lang: str) -> dict[str, str]:
    """What the changelog template needs to show a service's chart above the entries."""
    return {"link": chart_link(config, service, lang),
            "alt": i18n.text("chart_alt", lang, name=name)}


def _heading_title(content: str) -> str | None:
    match = _HEADING.match(content)
    if not match:
        return None
    # key off the words, not the emoji in front of them
    return re.sub(r"^\W+|\W+$", "", match.group(1)).casefold()


def _insert(page: Page, eol: str, lang: str) -> str:
    """Place a marked block: at the top of an existing changelog section, else in a new section
    before the footer (and the rule above it), else at the end. One contiguous insertion."""
    text, lines = page.text, page.lines
    block = marked(MARKER, "", eol)
    # the prose lines that can be headings (`##`) or the footer (`**`): found by str.find,
    # not by reading every line
    for i in page.lines_with("##"):
        if _heading_title(page.content(i)) in HEADING_TITLES:
            examples = _template_entries(page, i)
            if examples:
                # the template's example lines (`- **[年月]：** …`) are no entries: the block
                # takes their place, once, as it is first placed
                return _insert(Page("".join(text[page.start(j):page.start(j + 1)]
                                            if j + 1 < len(lines) else text[page.start(j):]
                                            for j in range(len(lines)) if j not in examples)),
                               eol, lang)
            if lines[i].stop == lines[i].end:  # the heading is the last line, with no ending
                return text + eol + eol + block
            at = i + 1
            if at < len(lines) and page.blank(at):
                chunk = block
                at += 1
            else:
                chunk = eol + block
            if at < len(lines) and not page.blank(at):
                chunk += eol
            offset = page.start(at) if at < len(lines) else len(text)
            return text[:offset] + chunk + text[offset:]

    section = i18n.text("changelog_heading", lang) + eol + eol + block
    footers = [i for i in page.lines_with("**") if _FOOTER.match(page.content(i))]
    if footers:
        at = footers[-1]
        above = at - 1
        while above >= page.body and page.blank(above):
            above -= 1
        chunk = section + eol
        if above >= page.body and above not in page.code and _RULE.match(page.content(above)):
            at = above
            if at > 0:
                # the page separates sections with rules: keep one above and one below ours
                # (not on the first line, where "---" would open front matter)
                chunk = page.content(above).strip() + eol + eol + chunk
        if at > page.body and not page.blank(at - 1):
            chunk = eol + chunk
        offset = page.start(at)
        return text[:offset] + chunk + text[offset:]

    if page.unclosed_fence is not None:
        # appended markers would sit inside the code block, unseen by the next run
        raise TrackerError("the page ends inside a code block that is never closed",
                           line=page.unclosed_fence + 1,
                           hint="close the code fence, or add the changelog markers by hand")
    chunk = ""
    if text and not text.endswith("\n"):
        chunk += eol
    if len(lines) > page.body and not page.blank(len(lines) - 1):
        chunk += eol
    return text + chunk + section


def _template_entries(page: Page, heading: int) -> set[int]:
    """The lines of the template's example changelog entries under the changelog heading at
    ``heading`` (up to the next heading or rule)."""
    # here, not at the top: it loads the page parsers (+40 ms measured with -X importtime),
    # and only a block placed for the first time needs it
    from tracker.sources.page.placeholders import TEMPLATE_ENTRY

    found: set[int] = set()
    for j in range(heading + 1, len(page.lines)):
        content = page.content(j)
        if content.startswith("#") or _RULE.match(content):
            break
        if TEMPLATE_ENTRY.match(content):
            found.add(j)
    return found


def rewrite_changelog(text: str, block: str, lang: str, page: Page | None = None) -> str:
    """``text`` with ``block`` between the changelog markers (see the module docstring);
    ``page``: the text's Page, when the caller has it.

    Raises TrackerError (without a path; the caller adds it) for unbalanced or doubled markers.
    """
    def insert(page: Page, eol: str) -> str:
        # place an empty marked block, then fill it through the one marker rewrite
        return rewrite_marked(_insert(page, eol, lang), MARKER, block)

    return rewrite_marked(text, MARKER, block, insert, page)


def update_pages(config: Config, events: list[Event], dry_run: bool = False,
                 skipped: list[TrackerError] | None = None,
                 services: set[str] | None = None,
                 charted: set[str] | None = None) -> list[PageChange]:
    """Rewrite the changelog block of every service page (of ``services`` only, when given);
    the pages changed.

    A page whose service has no events left (all retracted) gets an empty block; a page with no
    markers is left alone when none of its events belongs on a page. A service in ``charted``
    gets its chart above the entries. ``dry_run`` writes nothing and returns the same changes.
    """
    by_lang: dict[str, dict[str, list[Event]]] = {}
    changes = []
    for relative, service, lang in pages_of(config):
        if services is not None and service not in services:
            continue
        if lang not in by_lang:
            # each language's own names of services and quota tiers (render/names.py)
            by_lang[lang] = defaultdict(list)
            for event in localized(events, config, lang):
                by_lang[lang][event.service].append(event)
        own = by_lang[lang].get(service, [])
        chart = None
        if charted and service in charted and own:
            chart = chart_image(config, service, own[-1].service_name or service, lang)

        def rewrite(text: str, lang: str = lang, events: list[Event] = own,
                    chart: dict[str, str] | None = chart) -> str:
            # the page read once (Page) and its block rendered once, in the page's own date
            # style; a block is empty exactly when no event belongs on a page
            page = Page(text)
            shown = any(on_page(e) for e in events)
            if not shown and find_markers(page, MARKER) is None:
                return text
            spaced = lang == "zh" and shown and spaced_dates(text, page)
            try:
                block = render_changelog(events, lang, config, chart, spaced=spaced)
            except TrackerError as exc:  # a site template's error stops the render, as it is
                raise _TemplateError(exc) from None  # not one page's problem
            return rewrite_changelog(text, block, lang, page)

        try:
            # written below, all pages together
            change = apply(Path(config.root), relative, rewrite, True, skipped)
        except _TemplateError as failed:
            raise failed.error from None
        if change is not None:
            changes.append(change)
    if not dry_run:
        write_changes(Path(config.root), changes)
    return changes


class _TemplateError(Exception):
    """A site template that does not render, carried through ``apply`` (which would note a
    TrackerError as the page's own and go on)."""

    def __init__(self, error: TrackerError) -> None:
        super().__init__(error.message)
        self.error = error

