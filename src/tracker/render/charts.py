"""Charts: each service's rate limits and model prices over time as one SVG of small multiples.

``build_charts`` returns the SVG text of every service (from ``render/series.py``, the ledger
replayed), keyed by file name; tracker.writer writes them into ``charts.dir`` (by default
``static/tracker/charts/``, which Hugo serves as ``/tracker/charts/``). ``site.chart_url`` is
where a chart is served; the page changelog and the digest link it from there.

Drawn with the Jinja2 template ``chart.svg.j2`` (the frame) and the panels' markup joined by
render/svgmarkup.py, over the tiny scale helpers below, rather than a chart library: measured
(bench/chart_libraries.py), matplotlib wrote ~70 KB and took seconds to import, pygal's output
was not deterministic and carried a script, leather had no log scale nor titles. Here a
service is a few KB, byte-identical for the same ledger, no script, no external resource,
and colours follow ``currentColor`` and ``prefers-color-scheme`` (light and dark).

One panel per rate limit (per quota tier) and one per priced model (input solid, output dashed)
that changed at least once; what never changed is said once in the description, and a service
none of whose quantities ever changed gets no chart. Time on x is shared by all panels, a step
and a marker at each event. A quantity spanning two orders
of magnitude or more gets a log scale; ``unlimited`` is drawn as a line at the top of its panel;
a value stated only as text, or not stated, is a gap.

Work done once per build: the step series when both languages name alike, and each panel's
plot (its numbers and markup, the same in every language: ``Plots``, keyed by what it is drawn
from).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from tracker import i18n
from tracker.model import UNLIMITED, Event
from tracker.render import environment, visible
from tracker.render.names import localized, site_names
from tracker.render.series import Series, ServiceSeries, Step, build_series, events_of
from tracker.render.svgmarkup import draw_lines, draw_panel, draw_ticks
from tracker.site import chart_name, chart_url, site_path

if TYPE_CHECKING:
    import jinja2

    from tracker.config import Config

TEMPLATE = "chart.svg.j2"

WIDTH, COLUMNS, HEADER = 640, 2, 40
PANEL_W, PANEL_H = WIDTH // COLUMNS, 104
LEFT, RIGHT, TOP, BOTTOM = 44, PANEL_W - 10, 34, 88  # the plot area inside a panel
TAIL = 14  # past the last event: the values still in force
UNLIMITED_GAP = 10  # the unlimited line sits this far above the numbers
LOG_SPAN = 100  # max / min at or above which a panel uses a log scale
MAX_TITLE = 44  # characters of a model id shown in a panel title (the full id is in <title>)


def _n(value: float) -> str:
    """A coordinate with one decimal at most: short and identical on every machine."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


_BOTTOM, _RIGHT = _n(BOTTOM), _n(RIGHT)  # a gap's marker; the end of a series' last step


def compact(value: float) -> str:
    """14400 → '14.4K', 1000000 → '1M', 0.59 → '0.59': short tick labels in either language."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


class YScale:
    """Values → y inside a panel: linear from zero, or log when they span orders of magnitude.
    ``unlimited`` maps to a line above every number."""

    def __init__(self, values: list[float], has_unlimited: bool) -> None:
        self.top = TOP + (UNLIMITED_GAP if has_unlimited else 0)
        positive = [v for v in values if v > 0]
        high = max(values, default=1.0) or 1.0
        self.log = bool(positive) and high / min(positive) >= LOG_SPAN
        if self.log:
            low = math.floor(math.log10(min(positive)))
            top = max(math.ceil(math.log10(high)), low + 1)
            self.lo, self.hi = float(low), float(top)
            exponents = list(range(low, top + 1))
            every = max(1, math.ceil((len(exponents) - 1) / 3))
            self.ticks = [10.0 ** e for e in exponents[::every]]
        else:
            step = _nice_step(high / 2)
            self.hi = step * math.ceil(high / step)
            self.ticks = [step * i for i in range(int(round(self.hi / step)) + 1)]

    def __call__(self, value: float) -> float:
        if self.log:
            fraction = (math.log10(value) - self.lo) / (self.hi - self.lo) if value > 0 else 0.0
        else:
            fraction = value / self.hi
        return BOTTOM - fraction * (BOTTOM - self.top)


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``raw``."""
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * 0.999)


@dataclass(frozen=True)
class XScale:
    """Dates → x, shared by all panels of a chart; the last event sits TAIL before the edge."""

    start: datetime
    end: datetime

    def __call__(self, when: datetime) -> float:
        return LEFT + (when - self.start).total_seconds() / self._span * (RIGHT - TAIL - LEFT)

    @cached_property
    def _span(self) -> float:
        return max((self.end - self.start).total_seconds(), 1.0)

    def ticks(self, lang: str, label: Callable[[datetime, str], str] | None = None
              ) -> list[tuple[float, str]]:
        """Month starts, every 1/2/3/6/12 months so that at most four are labelled; ``label``
        words each one (by default ``month_tick``)."""
        return [(at, (label or month_tick)(first, lang)) for at, first in self.months()]

    @cached_property
    def _months(self) -> list[tuple[float, datetime]]:
        return self._tick_months()

    def months(self) -> list[tuple[float, datetime]]:
        """Where the ticks are (the grid's vertical lines), with their month's first day
        (worked out once per scale: the grid and the labels both ask)."""
        return self._months

    def _tick_months(self) -> list[tuple[float, datetime]]:
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        every = next((n for n in (1, 2, 3, 6, 12, 24) if months // n <= 3), 48)
        ticks = []
        year, month = self.start.year, self.start.month + 1
        while True:
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
            first = datetime(year, month, 1, tzinfo=self.start.tzinfo)
            if first > self.end:
                break
            if (year * 12 + month - 1) % every == 0:
                ticks.append((self(first), first))
            month += 1
        return ticks


def month_tick(when: datetime, lang: str) -> str:
    return i18n.text("chart_month", lang, year=when.year, month=when.month,
                     month_abbr=i18n.MONTH_NAMES[when.month - 1][:3])


def _drawable(step: Step, currency: str | None) -> bool:
    if step.value == UNLIMITED:
        return True
    return _number(step.value) is not None and (currency is None or step.currency in
                                                 (None, currency))


def _line(series: Series, x: XScale, y: YScale, currency: str | None,
          unlimited_y: float) -> dict[str, Any]:
    """The step path of one series and a marker per event; text or unstated values are gaps."""
    parts: list[str] = []
    markers: list[dict[str, str]] = []
    steps, pen_down, last = series.steps, False, len(series.steps) - 1
    # a step's x is where the segment before it ends: worked out and written once
    at = _n(x(steps[0].when)) if steps else _RIGHT
    for i, step in enumerate(steps):
        until = _n(x(steps[i + 1].when)) if i < last else _RIGHT
        drawable = _drawable(step, currency)
        if drawable:
            number = _number(step.value)
            level = _n(unlimited_y if number is None else y(number))
            parts.append((f"V{level}" if pen_down else f"M{at} {level}") + f"H{until}")
            pen_down = True
        else:
            level, pen_down = _BOTTOM, False
        if step.event:
            markers.append({"x": at, "y": level, "event": step.event,
                            "gap": "" if drawable else "1"})
        at = until
    return {"d": "".join(parts), "markers": markers}


def _value_text(step: Step, series: Series, lang: str) -> str:
    if step.value is None:
        return i18n.text("chart_not_stated", lang)
    return i18n.format_value(step.value, lang, field=series.field, currency=step.currency)


def changed(series: Series) -> bool:
    """Whether the quantity ever took another value (a price in another currency included):
    one that never did is no panel of its own, only a line of the description."""
    if series.changed is None:  # asked by the panels and the description, in each language
        series.changed = len({(repr(step.value), step.currency) for step in series.steps}) > 1
    return series.changed


STEADY_SHOWN = 12  # unchanged quantities named in a description; the rest are counted


def _describe(history: ServiceSeries, lang: str) -> str:
    """What changed, for the chart's <desc>: '每日请求数：14,400（2024-11-05）→ 1,000（…）', then
    once, what never changed: '未变化：每分钟请求数 30、…'."""
    lines, steady = [], []
    for series in history.series.values():
        label = i18n.field_label(series.field, lang)
        scope = series.model or series.tier
        if scope:
            label = i18n.text("scope", lang, scope=scope) + label
        if not changed(series):
            steady.append(f"{label} {_value_text(series.steps[-1], series, lang)}")
            continue
        values = " → ".join(i18n.text("chart_value_at", lang, value=_value_text(s, series, lang),
                                      date=s.when.date().isoformat()) for s in series.steps)
        lines.append(i18n.text("chart_line", lang, label=label, values=values))
    if steady:
        shown = steady[:STEADY_SHOWN]
        if len(steady) > STEADY_SHOWN:
            shown.append(i18n.text("chart_steady_more", lang, n=len(steady) - STEADY_SHOWN))
        lines.append(i18n.text("chart_steady", lang,
                               items=i18n.text("digest_sep", lang).join(shown)))
    return i18n.text("join", lang).join(lines) or i18n.text("chart_unchanged", lang)


# The panel's plot: everything drawn from numbers alone, the same in every language (and in the
# digest's PNG). Keyed by what it is drawn from (see ``_plot_key``); one dict per build.
Plots = dict[tuple[Any, ...], dict[str, Any]]


def _plot_key(series: list[Series], x: XScale, currency: str | None) -> tuple[Any, ...] | None:
    """What a panel's plot is a function of: the steps of its series (every field of each
    step, so two series that draw alike are equal), the time span and the currency drawn.
    None when a step holds an unhashable value (no memo then)."""
    key = (x.start, x.end, currency, tuple((s.field, tuple(s.steps)) for s in series))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _plot(series: list[Series], x: XScale, grid_x: list[float], currency: str | None
          ) -> dict[str, Any]:
    """The numbers of one panel: its y ticks, grid, unlimited line and step lines (with the
    markup of the ticks and lines pre-drawn, see render/svgmarkup.py)."""
    numbers = [n for s in series for step in s.steps if _drawable(step, currency)
               for n in [_number(step.value)] if n is not None]
    has_unlimited = any(step.value == UNLIMITED for s in series for step in s.steps)
    y = YScale(numbers, has_unlimited)
    y_ticks = [y(t) for t in y.ticks] if numbers else []
    grid = "".join(f"M{LEFT} {_n(at)}H{RIGHT}" for at in y_ticks[1:] if at < BOTTOM)
    grid += "".join(f"M{_n(at)} {TOP}V{BOTTOM}" for at in grid_x)
    ticks = [{"y": _n(at), "label": compact(t)} for at, t in zip(y_ticks, y.ticks, strict=False)]
    lines = [dict(_line(s, x, y, currency, TOP), side=s.field) for s in series]
    return {"y_ticks": ticks, "grid": grid, "unlimited": _n(TOP) if has_unlimited else None,
            "lines": lines, "ticks_svg": draw_ticks(ticks, LEFT), "lines_svg": draw_lines(lines)}


def _panel(index: int, title: str, unit: str, series: list[Series], x: XScale,
           grid_x: list[float], plots: Plots, currency: str | None = None) -> dict[str, Any]:
    key = _plot_key(series, x, currency)
    plot = plots.get(key) if key is not None else None
    if plot is None:
        plot = _plot(series, x, grid_x, currency)
        if key is not None:
            plots[key] = plot
    column, row = index % COLUMNS, index // COLUMNS
    shown = title if len(title) <= MAX_TITLE else title[:MAX_TITLE - 1] + "…"
    return {
        "x": column * PANEL_W, "y": HEADER + row * PANEL_H,
        "title": visible(shown), "full_title": visible(title), "unit": unit,
        "y_ticks": plot["y_ticks"], "grid": plot["grid"], "unlimited": plot["unlimited"],
        "lines": plot["lines"], "plot": plot,
    }


def _panels(history: ServiceSeries, x: XScale, lang: str, plots: Plots | None = None
            ) -> list[dict[str, Any]]:
    """One panel per rate limit that changed, one per model whose price changed (both sides
    drawn); none at all for a service whose charted quantities never changed."""
    plots = {} if plots is None else plots
    grid_x = [at for at, _ in x.months()]
    panels: list[dict[str, Any]] = []
    for series in history.limits():
        if not changed(series):
            continue
        label = i18n.field_label(series.field, lang)
        if series.tier:
            label = i18n.text("chart_tier", lang, tier=series.tier, label=label)
        unit = i18n.chart_unit(series.field, lang)
        if _plottable([series], None):
            panels.append(_panel(len(panels), label, unit, [series], x, grid_x, plots))
    for model in history.models():
        prices = history.prices(model)
        if not any(changed(side) for side in prices):
            continue
        # the currency the model is priced in last; amounts in another one are gaps
        currency = next((s.currency for p in prices for s in reversed(p.steps) if s.currency),
                        None)
        if _plottable(prices, currency):
            unit = i18n.text("chart_price_unit", lang, currency=currency or "")
            panels.append(dict(_panel(len(panels), i18n.text("chart_prices", lang, model=model),
                                      unit, prices, x, grid_x, plots, currency), model=model))
    return panels


def _plottable(series: list[Series], currency: str | None) -> bool:
    return any(_drawable(step, currency) for s in series for step in s.steps)


def render_chart(history: ServiceSeries, lang: str, config: Config,
                 plots: Plots | None = None) -> str | None:
    """The SVG of one service in ``lang``, or None when it states no limit or price to draw.
    ``plots`` (one per build) keeps the plots already drawn: the other language's are the
    same."""
    context = chart_context(history, lang, plots)
    return None if context is None else render_context(context, environment(config))


def render_context(context: dict[str, Any], env: jinja2.Environment) -> str:
    """``chart.svg.j2`` of ``context``, its panels drawn (``svgmarkup``) as the context says
    now (the digest's PNG words them otherwise)."""
    context["panels_svg"] = Markup("".join(draw_panel(i, p, context)
                                           for i, p in enumerate(context["panels"])))
    return env.get_template(TEMPLATE).render(context)


def chart_context(history: ServiceSeries, lang: str, plots: Plots | None = None
                  ) -> dict[str, Any] | None:
    """What ``chart.svg.j2`` draws for one service (None when nothing): the numbers and the
    words. render/mailcharts.py draws the same context with the words left out."""
    x = XScale(history.start, history.end)
    panels = _panels(history, x, lang, plots)
    if not panels:
        return None
    rows = (len(panels) + COLUMNS - 1) // COLUMNS
    last_row = {(len(panels) - 1 - c) // COLUMNS * COLUMNS + c for c in range(COLUMNS)}
    name = visible(history.name)
    span = i18n.text("chart_span", lang, start=history.start.date().isoformat(),
                     end=history.end.date().isoformat())
    return dict(
        width=WIDTH, height=HEADER + rows * PANEL_H + 8, lang=lang,
        title=i18n.text("chart_title", lang, name=name), span=span,
        desc=visible(_describe(history, lang)),
        colon=i18n.text("inline_colon", lang), panels=panels, x_scale=x, x_ticks=x.ticks(lang),
        labelled={i for i in last_row if i < len(panels)},
        plot={"left": LEFT, "right": RIGHT, "top": TOP, "bottom": BOTTOM},
        unlimited_label=i18n.text("unlimited", lang),
        input_label=i18n.text("chart_input", lang), output_label=i18n.text("chart_output", lang),
        plain=False)


def chart_link(config: Config, service: str, lang: str) -> str:
    """The chart's address within the site (no scheme and host), for Markdown pages."""
    return site_path(chart_url(config, service, lang))


def build_charts(events: list[Event], config: Config,
                 services: set[str] | None = None) -> dict[str, str]:
    """Every chart, keyed by file name: each service with a limit or price to draw, in each
    language (``groq.svg``, ``groq.en.svg``). With ``services``, only theirs: a chart depends
    on its own service's events alone, so the others cannot have changed."""
    if not config.charts.enabled:
        return {}
    charts: dict[str, str] = {}
    drawn = events if services is None else events_of(events, services)
    plots: Plots = {}  # a panel's plot is the same in both languages: drawn once
    named: list[Event] | None = None
    histories: dict[str, ServiceSeries] = {}
    for lang in i18n.LANGS:
        # each language's names of services and quota tiers (render/names.py); the series
        # are built again only when they differ (a tier named otherwise in this language)
        named_now = localized(events, config, lang) if drawn is events \
            else site_names(events, config, lang).localize(drawn)
        if named_now != named:
            named, histories = named_now, build_series(named_now)
        for service, history in sorted(histories.items()):
            if services is not None and service not in services:
                continue
            svg = render_chart(history, lang, config, plots)
            if svg is not None:
                charts[chart_name(config, service, lang)] = svg
    return dict(sorted(charts.items()))


def chartable(events: list[Event], config: Config) -> set[str]:
    """The services ``build_charts`` draws a chart for, without drawing them."""
    if not config.charts.enabled:
        return set()
    return {service for service, history in build_series(events).items()
            if _panels(history, XScale(history.start, history.end), config.default_lang)}


def charted_services(charts: dict[str, str], config: Config, services: Iterable[str]
                     ) -> set[str]:
    """The ids among ``services`` that ``charts`` holds a default-language chart for."""
    return {service for service in services
            if chart_name(config, service, config.default_lang) in charts}


def on_disk(config: Config, services: Iterable[str]) -> set[str]:
    """The ids among ``services`` whose default-language chart is on disk (a last render's)."""
    if not config.charts.enabled:
        return set()
    base = Path(config.root) / config.charts.dir
    return {service for service in services
            if (base / chart_name(config, service, config.default_lang)).is_file()}


def owned_names(events: list[Event], config: Config,
                services: set[str] | None = None) -> set[str]:
    """The chart file names any service of the ledger (or of ``services``, and the names they
    were renamed from) could have: the ones ``writer.write_charts`` may remove when that service has
    no chart any more (a rename, nothing left to draw)."""
    ours = {e.service for e in events if services is None or e.service in services}
    ours |= {e.old for e in events if e.kind == "service_renamed" and isinstance(e.old, str)
             and (services is None or e.service in services)}
    return {chart_name(config, service, lang) for service in ours for lang in i18n.LANGS}
