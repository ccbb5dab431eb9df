"""The site-wide "recent updates" block: the latest changes across services, by ISO week.

Any file matched by ``config.updates_files`` that holds ``<!-- tracker:updates:begin -->`` and
``<!-- tracker:updates:end -->`` gets, between them, the newest ``config.updates.max_items``
events (the same ones a page changelog shows, see ``changelog.on_page``), grouped by ISO week,
newest week first and newest change first within a week, each linking to its service page. A file
without markers is left alone: the maintainers choose where the block goes.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from tracker import i18n
from tracker.errors import TrackerError
from tracker.model import Event, instant, severity_rank
from tracker.paths import matching_files, written_lang
from tracker.render.calendar import CALENDAR_FILE
from tracker.render.changelog import markdown_environment, on_page
from tracker.render.markers import PageChange, apply, rewrite_marked
from tracker.render.names import site_names
from tracker.render.opml import OPML_FILE
from tracker.site import feed_url, service_url, site_base, site_path

if TYPE_CHECKING:
    from tracker.config import Config

MARKER = "updates"
TEMPLATE = "updates.md.j2"


def service_link(config: Config, service: str, lang: str) -> str:
    """The site-relative address of a service page (``/services/api/<slug>/``, ``/en/…``)."""
    # service_url is the one place addresses are made; the block links within the site
    url = service_url(config, quote(service, safe=""), lang)
    return url.removeprefix(site_base(config))


def latest(events: list[Event], limit: int) -> list[Event]:
    """The newest ``limit`` events a reader should see; ties broken by severity, then id."""
    shown = [e for e in events if on_page(e)]
    shown.sort(key=lambda e: (-instant(e.date), severity_rank(e.severity), e.id))
    return shown[:max(limit, 0)]


def _weeks(events: list[Event], lang: str) -> list[dict[str, object]]:
    """Events grouped by the ISO week of their local date, newest week first (order kept)."""
    groups: dict[tuple[int, int], list[Event]] = defaultdict(list)
    for event in events:
        # the local date, as the commit's author saw it, like the page changelog's months
        year, week, _ = event.moment.date().isocalendar()
        groups[(year, week)].append(event)
    return [{"label": i18n.text("week", lang, year=year, week=week), "events": groups[(year, week)]}
            for year, week in sorted(groups, reverse=True)]


def render_updates(events: list[Event], lang: str, config: Config) -> str:
    """The lines between the updates markers; empty when there is nothing to show."""
    chosen = latest(events, config.updates.max_items)
    if not chosen:
        return ""
    # named as every other output of this language names them (render/names.py)
    chosen = site_names(events, config, lang).localize(chosen)
    env = markdown_environment(config)
    env.globals["service_link"] = lambda service: service_link(config, service, lang)
    return env.get_template(TEMPLATE).render(weeks=_weeks(chosen, lang), lang=lang,
                                             subscribe=subscribe_line(config, lang))


def subscribe_line(config: Config, lang: str) -> str:
    """Where to subscribe to everything at once: the OPML list of feeds, the shutdown calendar."""
    return i18n.text("updates_subscribe", lang, opml=site_path(feed_url(config, OPML_FILE)),
                     ics=site_path(feed_url(config, CALENDAR_FILE)))


def rewrite_updates(text: str, block: str) -> str:
    """``text`` with ``block`` between the updates markers; unchanged when it has none."""
    return rewrite_marked(text, MARKER, block)


def update_blocks(config: Config, events: list[Event], dry_run: bool = False,
                  skipped: list[TrackerError] | None = None) -> list[PageChange]:
    """Rewrite the updates block of every file of ``config.updates_files`` holding the markers.

    A file named ``*.en.md`` gets the block in English with ``/en/`` links; others in the site's
    default language. ``dry_run`` writes nothing and returns the same changes.
    """
    root = Path(config.root)
    blocks: dict[str, str] = {}
    changes = []
    for relative in matching_files(root, config.updates_files):
        lang = written_lang(relative, config.default_lang)
        if lang not in blocks:
            blocks[lang] = render_updates(events, lang, config)
        block = blocks[lang]

        def rewrite(text: str, block: str = block) -> str:
            return rewrite_updates(text, block)

        change = apply(root, relative, rewrite, dry_run, skipped)
        if change is not None:
            changes.append(change)
    return changes
