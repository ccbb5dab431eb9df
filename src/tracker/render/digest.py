"""The weekly digest: one period's events → subject, plain text and HTML (``build_digest``).

A period is an ISO week (``2025-W46``: Monday to the next Monday, end exclusive) or an inclusive
``since..until`` range of days. An event belongs to the period whose days hold the calendar day of
its own date *in its own offset*: a commit made on Monday 00:30 +08:00 counts in that Monday's week,
as its author saw it, and the result never depends on the machine's time zone.

Building returns text, and each chart as a PNG for the mail (render/mailcharts.py): the HTML
file links the site's SVG charts, the mail's HTML (``mail_html``) points at the PNGs it carries
(``cid:``). tracker.writer's ``write_digest`` puts the files on disk.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tracker import i18n
from tracker.errors import TrackerError
from tracker.links import web_url
from tracker.model import KINDS, Event, parse_moment
from tracker.render import environment, visible
from tracker.render.charts import chartable
from tracker.render.mailcharts import mail_chart
from tracker.render.names import site_names
from tracker.render.series import build_series
from tracker.site import CHART_SUFFIX, chart_name, chart_url, service_url, site_base

if TYPE_CHECKING:

    from tracker.config import Config

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

# The kinds a subscriber most wants in the subject line, most telling first. Every kind of
# breaking change the period holds is named (breaking ones first, whatever their kind); at most
# SUBJECT_PARTS_MAX parts are shown, and when more are due the last part counts the rest, so no
# kind is dropped in silence.
SUBJECT_KINDS = (
    "service_removed",
    "quota_cut",
    "model_removed",
    "model_deprecated",
    "price_increase",
    "requirement_added",
    "service_added",
    "model_added",
    "price_decrease",
    "quota_raised",
)
SUBJECT_PARTS_MAX = 4

SECTION_NEW = ("service_added", "model_added")
SECTION_PRICES = ("price_increase", "price_decrease", "price_added", "price_removed")


@dataclass(frozen=True)
class Period:
    """Days ``start`` (inclusive) to ``end`` (exclusive); ``key`` names the digest and its files."""

    start: date
    end: date
    key: str
    week: tuple[int, int] | None = None  # (ISO year, ISO week) when the period is a week

    def contains(self, when: str) -> bool:
        """Whether an event date (ISO 8601) falls on one of the period's days: the day its
        author saw (see ``Event.moment``)."""
        return self.start <= parse_moment(when).date() < self.end

    @classmethod
    def iso_week(cls, label: str) -> Period:
        start, end = parse_week(label)
        year, week, _ = start.isocalendar()
        return cls(start, end, f"{year}-W{week:02d}", (year, week))

    @classmethod
    def between(cls, since: date, until: date) -> Period:
        """The days from ``since`` through ``until``, both included."""
        if until < since:
            raise TrackerError(f"the period ends ({until}) before it starts ({since})",
                               hint="give --since before --until")
        return cls(since, until + timedelta(days=1), f"{since.isoformat()}..{until.isoformat()}")


def parse_week(label: str) -> tuple[date, date]:
    """``"2025-W46"`` → (Monday 2025-11-10, Monday 2025-11-17): the end is exclusive."""
    match = _WEEK.match(label.strip())
    if not match:
        raise TrackerError(f"not an ISO week: {label!r}",
                           hint="write it as YYYY-Www, e.g. 2025-W46")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        start = date.fromisocalendar(year, week, 1)
    except ValueError:
        # week 00, week 54, or week 53 of a year that has only 52
        raise TrackerError(f"{year} has no ISO week {week}: {label!r}",
                           hint="ISO weeks run from W01 to W52 or W53") from None
    return start, start + timedelta(days=7)


def default_week(today: date) -> Period:
    """The last complete ISO week before ``today`` (on a Monday: the week that just ended)."""
    monday = today - timedelta(days=today.weekday())
    year, week, _ = (monday - timedelta(days=7)).isocalendar()
    return Period.iso_week(f"{year}-W{week:02d}")


def _parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise TrackerError(f"{option} {value!r} is not a date",
                           hint="write it as YYYY-MM-DD") from None


def period_from_options(week: str | None, since: str | None, until: str | None,
                        today: date) -> Period:
    """The period the CLI options name: a week, a since/until range, or the last complete week."""
    if week and (since or until):
        raise TrackerError("give either --week or --since/--until, not both")
    if week:
        return Period.iso_week(week)
    if since or until:
        start = _parse_day(since, "--since") if since else None
        end = _parse_day(until, "--until") if until else today - timedelta(days=1)
        if start is None:
            raise TrackerError("--until needs --since", hint="add --since YYYY-MM-DD")
        return Period.between(start, end)
    return default_week(today)


@dataclass(frozen=True)
class DigestImage:
    """A PNG the mail carries: the HTML shows it as ``cid:<cid>`` (mail.py adds the part)."""

    cid: str  # the Content-ID without its angle brackets
    filename: str
    png: bytes = field(repr=False)


@dataclass(frozen=True)
class Digest:
    """One rendered digest: what the mail and the files are made of."""

    key: str
    lang: str
    period: Period
    subject: str
    text: str
    html: str
    counts: dict[str, int]  # events per kind, in KINDS order; kinds with none left out
    events: tuple[Event, ...] = field(repr=False)
    site_url: str = ""
    mail_html: str = ""  # the HTML part of the mail: charts as cid: images; html when empty
    images: tuple[DigestImage, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.events

    @property
    def total(self) -> int:
        return len(self.events)


def digest_title(config: Config, lang: str) -> str:
    """The digest's name in ``lang``, from tracker.yaml (digest.title / digest.title_en)."""
    return config.digest.title_en if lang == "en" else config.digest.title


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def subject_summary(counts: dict[str, int], lang: str,
                    breaking: dict[str, int] | None = None) -> str:
    """'1 项配额削减、2 项涨价' / '1 quota cut, 2 price increases'; 'no changes' when empty.

    ``breaking`` counts the breaking events by kind: each of those kinds is named first (a
    shorter context is a 'context cut'), then the other SUBJECT_KINDS. Past SUBJECT_PARTS_MAX
    parts the last one says how many changes the subject did not name."""
    total = sum(counts.values())
    if not total:
        return i18n.text("digest_none", lang)
    breaking = breaking or {}
    order = sorted(breaking, key=lambda k: (SUBJECT_KINDS.index(k) if k in SUBJECT_KINDS
                                            else len(SUBJECT_KINDS),
                                            KINDS.index(k) if k in KINDS else len(KINDS), k))
    due = [(f"digest_count_{kind}" if kind in SUBJECT_KINDS else f"digest_count_{kind}_cut",
            breaking[kind]) for kind in order]
    due += [(f"digest_count_{kind}", counts[kind] - breaking.get(kind, 0))
            for kind in SUBJECT_KINDS
            if kind not in breaking and counts.get(kind)]
    if not due:
        # only quieter kinds (info changes, limits added…): say how many, not which
        return i18n.text("digest_total", lang, n=total, s=_plural(total))
    shown = due if len(due) <= SUBJECT_PARTS_MAX else due[:SUBJECT_PARTS_MAX - 1]
    parts = [_count(key, n, lang) for key, n in shown]
    if len(shown) < len(due):
        rest = total - sum(n for _, n in shown)
        parts.append(i18n.text("digest_count_more", lang, n=rest, s=_plural(rest)))
    return i18n.text("digest_sep", lang).join(parts)


def _count(key: str, n: int, lang: str) -> str:
    """One part of the subject; a kind made breaking by an override, which has no phrase of
    its own, is named by its label (`2 × Info changed`)."""
    if key in i18n.PHRASES:
        return i18n.text(key, lang, n=n, s=_plural(n))
    kind = key.removeprefix("digest_count_").removesuffix("_cut")
    return i18n.text("digest_count_kind", lang, n=n, label=i18n.kind_label(kind, lang))


def _section(event: Event) -> str:
    if event.severity == "breaking":
        return "breaking"
    if event.kind in SECTION_NEW:
        return "new"
    if event.kind in SECTION_PRICES:
        return "prices"
    return "other"


def _order(event: Event) -> tuple[Any, ...]:
    # Grouped by service so one provider's changes read together, then oldest first; the id
    # breaks the last ties so the output never depends on the order the ledger returned.
    name = event.service_name or event.service
    return (name.casefold(), event.service, event.moment,
            event.model or "", KINDS.index(event.kind) if event.kind in KINDS else len(KINDS),
            event.id)


def _item(event: Event, config: Config, lang: str) -> dict[str, Any]:
    source = web_url(event.source)
    return {
        "service": event.service,
        "service_name": visible(event.service_name or event.service),
        "kind": event.kind,
        "kind_label": i18n.kind_label(event.kind, lang),
        "severity": event.severity,
        "summary": visible(i18n.summarize(event, lang)),
        "url": service_url(config, event.service, lang),
        "note": visible(event.note) if event.note else None,
        "source": source,
    }


def _content_id(name: str, period: Period, lang: str, config: Config) -> str:
    """``groq.2025-W46.zh@free-llm.example``: unique, and the same every run. Short, so that
    most Content-ID headers fit on one line."""
    host = urlsplit(site_base(config)).hostname or "tracker"
    # '..' (since..until keys) is not allowed in a dot-atom
    return f"{name}.{period.key}.{lang}@{host}".replace("..", "--")


def _charts(chosen: list[Event], events: list[Event], config: Config, period: Period,
            lang: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[DigestImage]]:
    """The chart of each service with a breaking change in the period (drawn from the whole
    ledger), in the order the digest names the services: as the HTML file shows them (the
    site's SVG), as the mail shows them (a PNG it carries, its panels named beside it), and
    those PNGs."""
    breaking = list(dict.fromkeys(e.service for e in chosen if e.severity == "breaking"))
    drawn = chartable(events, config) if breaking else set()
    histories = build_series(events) if drawn else {}
    web: list[dict[str, Any]] = []
    mail: list[dict[str, Any]] = []
    images: list[DigestImage] = []
    for service in breaking:
        chart = mail_chart(histories[service], lang) if service in drawn else None
        if chart is None:
            continue
        name = next(visible(e.service_name or e.service) for e in chosen if e.service == service)
        # alt: the caption, as before; description: what the chart shows (the img's alt,
        # in tracker's words only: page text stays out of attributes)
        common = {"url": chart_url(config, service, lang),
                  "page": service_url(config, service, lang),
                  "alt": i18n.text("digest_chart", lang, name=name), "description": chart.alt}
        web.append(dict(common, src=common["url"], key=[], notes=[]))
        stem = chart_name(config, service, lang).removesuffix(CHART_SUFFIX)
        slug = chart_name(config, service, config.default_lang).removesuffix(CHART_SUFFIX)
        image = DigestImage(_content_id(slug, period, lang, config), f"{stem}.png", chart.png())
        images.append(image)
        key = [i18n.text("chart_panel", lang, label=k.title, unit=k.unit) if k.unit else k.title
               for k in chart.key]
        notes = [i18n.text(words, lang) for words, shown in
                 (("digest_chart_lines", chart.prices), ("digest_chart_unlimited", chart.unlimited))
                 if shown]
        mail.append(dict(common, src=f"cid:{image.cid}", key=key, notes=notes))
    return web, mail, images


def build_digest(events: list[Event], config: Config, period: Period, lang: str) -> Digest:
    """The digest of the events falling in ``period``, from digest.txt.j2 and digest.html.j2;
    services and tiers named as every output in ``lang`` names them."""
    events = site_names(events, config, lang).localize(events)
    chosen = sorted((e for e in events if period.contains(e.date)), key=_order)
    by_kind = Counter(e.kind for e in chosen)
    counts = {kind: by_kind[kind] for kind in KINDS if by_kind[kind]}
    counts.update({kind: n for kind, n in sorted(by_kind.items()) if kind not in KINDS})

    title = digest_title(config, lang)
    subject = i18n.text("digest_subject", lang, title=title, period=period.key,
                        summary=subject_summary(counts, lang, dict(Counter(
                            e.kind for e in chosen if e.severity == "breaking"))))
    services = len({e.service for e in chosen})
    breaking = sum(1 for e in chosen if e.severity == "breaking")
    if chosen:
        headline = i18n.text("digest_headline", lang, n=len(chosen), s=_plural(len(chosen)),
                             services=services, services_s=_plural(services), breaking=breaking)
    else:
        headline = i18n.text("digest_headline_empty", lang)

    sections = []
    for name in ("breaking", "new", "prices", "other"):
        items = [_item(e, config, lang) for e in chosen if _section(e) == name]
        if items:
            sections.append({"name": name, "heading": i18n.text(f"digest_section_{name}", lang),
                             "entries": items})

    last_day = period.end - timedelta(days=1)
    web_charts, mail_charts, images = _charts(chosen, events, config, period, lang)
    context = {
        "charts": web_charts,
        # the img's alt was this before it said what the chart shows: kept for site templates
        "chart_alt": i18n.text("digest_chart_alt", lang),
        "lang": lang,
        "html_lang": "en" if lang == "en" else "zh-CN",
        "title": title,
        "subject": subject,
        "key": period.key,
        "week_label": (i18n.text("week", lang, year=period.week[0], week=period.week[1])
                       if period.week else period.key),
        "period_label": i18n.text("digest_period", lang, start=period.start.isoformat(),
                                  end=last_day.isoformat()),
        "headline": headline,
        "total": len(chosen),
        "breaking": breaking,
        "counts": counts,
        "sections": sections,
        "site_url": site_base(config),
        "unsubscribe": config.digest.unsubscribe,
        "unsubscribe_label": i18n.text("digest_unsubscribe", lang),
        "source_label": i18n.text("digest_source", lang),
    }
    env = environment(config)
    text = env.get_template("digest.txt.j2").render(context)
    html = env.get_template("digest.html.j2").render(context)
    mail_html = env.get_template("digest.html.j2").render(context, charts=mail_charts) \
        if images else html
    # a site's own digest.html.j2 may show no chart, or link the site's: no part nothing shows
    images = [image for image in images if f"cid:{image.cid}" in mail_html]
    return Digest(key=period.key, lang=lang, period=period, subject=subject, text=text, html=html,
                  counts=counts, events=tuple(chosen), site_url=site_base(config),
                  mail_html=mail_html, images=tuple(images))
