"""The digest's charts as PNG images for mail: drawn, rasterized, and described in words.

Most mail clients show no SVG (Gmail, Outlook on Windows) and many block remote images, so the
digest carries each chart inside the message as a PNG (mail.py puts it in a multipart/related
part, the HTML points at it with ``cid:``). The site keeps its SVG charts (render/charts.py).

The PNG is the same drawing as the site's SVG (``charts.chart_context`` through the package's
``chart.svg.j2``) with its words left out, so it needs no CJK font, which CI runners and many
servers lack (a missing glyph is drawn as a box): panels are numbered and a price panel names
its model id, dates are ISO months, values are numbers, ``unlimited`` is ∞. The panel names and
units, in the digest's language, go into the HTML beside the image (``MailChart.key``). The text
left is drawn with a subset of DejaVu Sans shipped in ``tracker/fonts`` (printable ASCII and
``·–…∞``; licence beside it) and no system font is read, so the PNG holds no box and its bytes
are the same on every machine whatever fonts it has. A model id with a character outside that
set is left out of the image (its panel still has its number and the key names it).

Rasterized by resvg (the resvg-py wheel: no system library, no timestamp in its PNGs), chosen by
measurement against CairoSVG and svglib: bench/rasterizers.py, numbers in bench/README.md. Its
import costs under 1 ms, so it is imported with this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import resvg_py

from tracker import i18n
from tracker.errors import TrackerError
from tracker.render import environment, visible
from tracker.render.charts import MAX_TITLE, chart_context, render_context
from tracker.render.series import ServiceSeries

FONT = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans-mail.ttf"
FAMILY = "DejaVu Sans"
# Every character FONT has a glyph for: the only ones the image may hold.
GLYPHS = frozenset(map(chr, range(0x20, 0x7F))) | frozenset("·–…∞")
# Pixels per SVG unit: 1.5 keeps lines crisp on high-density screens (the HTML shows the image
# 640 px wide) while five of the largest charts stay well under the message budget (bench).
ZOOM = 1.5
BACKGROUND = "#ffffff"  # a transparent PNG turns unreadable in a client's dark mode


@dataclass(frozen=True)
class PanelKey:
    """What the numbered panel ``number`` of the image shows, in the digest's language."""

    number: int
    title: str
    unit: str


@dataclass(frozen=True)
class MailChart:
    """One service's chart for mail: the SVG drawn without words, and the words beside it."""

    service: str
    svg: str
    key: tuple[PanelKey, ...]
    alt: str  # what the chart shows, in tracker's words: the quantities drawn
    prices: bool  # a panel has input (solid) and output (dashed) lines
    unlimited: bool  # a panel has an 'unlimited' (∞) line

    def png(self) -> bytes:
        return rasterize(self.svg, self.service)


def drawable(text: str) -> bool:
    """Whether the bundled font has a glyph for every character of ``text``."""
    return all(c in GLYPHS for c in text)


def iso_month(when: datetime, lang: str) -> str:
    """'2025-03' in every language: an x tick without words."""
    return f"{when.year}-{when.month:02d}"


def _plain_title(number: int, panel: dict[str, Any]) -> str:
    title = str(number)
    model = visible(panel.get("model") or "")
    if model and drawable(model):
        room = MAX_TITLE - len(title) - 2
        title += "  " + (model if len(model) <= room else model[:room - 1] + "…")
    return title


def mail_chart(history: ServiceSeries, lang: str) -> MailChart | None:
    """The chart of one service for mail in ``lang``; None when it has nothing to draw.

    Always the package's chart.svg.j2: a site's own chart template draws the site's SVGs, but
    it may hold words the bundled font cannot draw."""
    context = chart_context(history, lang)
    if context is None:
        return None
    panels = context["panels"]
    key = tuple(PanelKey(n, p["full_title"], p["unit"]) for n, p in enumerate(panels, 1))
    start, end = history.start.date().isoformat(), history.end.date().isoformat()
    context.update(
        plain=True,
        span=f"{start} – {end}",
        x_ticks=context["x_scale"].ticks(lang, label=iso_month),
        unlimited_label="∞",
        panels=[dict(p, title=_plain_title(n, p), unit="") for n, p in enumerate(panels, 1)],
    )
    svg = render_context(context, environment(None))
    return MailChart(service=history.service, svg=svg, key=key, alt=_alt(panels, lang),
                     prices=any(len(p["lines"]) > 1 for p in panels),
                     unlimited=any(p["unlimited"] for p in panels))


def _alt(panels: list[dict[str, Any]], lang: str) -> str:
    """'Chart of limits and prices over time: requests per day, tokens per minute; prices of 9
    models': tracker's own words only. Page text (names, quota tiers, model ids) stays out of HTML
    attributes; the caption and the numbered list beside the image name them."""
    limits = dict.fromkeys(i18n.field_label(p["lines"][0]["side"], lang) for p in panels
                           if not p.get("model"))
    models = sum(1 for p in panels if p.get("model"))
    parts = list(limits)
    if models:
        parts.append(i18n.text("chart_mail_models", lang, n=models, s="" if models == 1 else "s"))
    return i18n.text("digest_chart_alt", lang) + i18n.text("inline_colon", lang) \
        + i18n.text("digest_sep", lang).join(parts)


def rasterize(svg: str, what: str = "chart") -> bytes:
    """The PNG of ``svg``: white background, ZOOM pixels per unit, the bundled font only."""
    try:
        return bytes(resvg_py.svg_to_bytes(
            svg_string=svg, background=BACKGROUND, zoom=ZOOM, skip_system_fonts=True,
            font_files=[str(FONT)], font_family=FAMILY, sans_serif_family=FAMILY))
    except ValueError as exc:  # resvg's error for an SVG it cannot draw: ours, so a bug
        raise TrackerError(f"could not draw the {what} chart as PNG: {exc}",
                           hint="report it with the service's history") from None
