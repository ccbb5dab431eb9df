"""Pages behind the public catalogues: what models.dev, LiteLLM (any ``drift:`` catalogue) know
about a service's models that its page does not, and since which catalogue commit.

This module owns the comparison and its output. It reads the site's pages at HEAD (the same
parsers as ``tracker update``), each configured catalogue at its checkout's HEAD with every fact
dated (tracker.catalogue), and gives one ``Finding`` per difference:

- ``value``: a model fact the page states (context, max output, input/output/cache prices) that
  differs. Prices compare only in the same currency (per million tokens both sides); a length
  written in K or M agrees either way (128K is 128,000 or 131,072).
- ``deprecated``: the catalogue marks a model the page lists deprecated, or gives it a shutdown
  date (and the page does not say so).
- ``gone``: the catalogue listed the model for that service and removed it; ``unlisted``: it
  never listed it.
- ``new``: the catalogue added a model for that service after the page's last change; one that
  was already there when the page was last written is the page's choice, not news.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker import i18n
from tracker.catalogue import CatalogueState, Since, walk_catalogue
from tracker.config import Config, DriftSource, config_file, load_config
from tracker.errors import TrackerError, closest
from tracker.model import Model, Service, parse_moment
from tracker.sources import Sources
from tracker.walk.git import SKIP_TRAILER, History

KINDS = ("value", "deprecated", "gone", "unlisted", "new")
LENGTHS = ("context", "max_output")
PRICES = ("input_price", "output_price", "cache_read_price", "cache_write_price")
TITLE = "Pages behind the public catalogues"


@dataclass(frozen=True)
class Finding:
    """One thing a catalogue knows that a page does not. ``since``/``commit``: the catalogue
    commit that made the difference (none for ``unlisted``); ``path``/``line``: where the page
    states the model (none for ``new``)."""

    kind: str
    service: str  # the site's service id
    model: str  # the page's model id (the catalogue's, for ``new``)
    field: str | None
    page_value: Any
    catalogue_value: Any
    catalogue: str
    since: str | None
    commit: str | None
    path: str | None
    line: int | None
    catalogue_service: str = ""
    catalogue_model: str | None = None  # where the catalogue's id differs from the page's
    currency: str | None = None  # of both prices, for a price finding (per million tokens)

    def to_dict(self) -> dict[str, Any]:
        keys = ("kind", "service", "model", "field", "page_value", "catalogue_value",
                "catalogue", "since", "commit", "path", "line", "catalogue_service",
                "catalogue_model", "currency")
        return {key: getattr(self, key) for key in keys}


@dataclass
class Page:
    """A service as its page states it at HEAD, and when the page last changed."""

    service: Service
    changed: str | None  # author date of the last commit (not a tracker one) touching its files
    lines: list[str] = field(default_factory=list)  # the page's text at HEAD


@dataclass
class DriftReport:
    findings: list[Finding]
    unmatched: list[tuple[str, str]]  # (catalogue, site service) the catalogue has no service for
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (catalogue, file) at HEAD


# -- the site's side -----------------------------------------------------------------------------

def site_pages(root: Path, config: Config) -> dict[str, Page]:
    """Every service at HEAD, by id, with its page's last change and text (one that lists no
    model still learns what its catalogue added since)."""
    from tracker.walk.snapshots import Snapshots  # with the parsers: only when drift runs

    history = History(root)
    head = history.head()
    if head is None:
        raise TrackerError("the repository has no commits yet", hint="commit the pages first")
    site = Config(**{**vars(config), "records": []})  # the pages and data files only
    snapshots = Snapshots(history, Sources(site))
    snapshots.load(head, {})
    tree = history.tree(head)
    pages: dict[str, Page] = {}
    for sid, service in sorted(snapshots.services.items()):
        paths = sorted(snapshots.paths_of.get(sid, ()))
        text = history.read(tree[service.path]).decode("utf-8", "replace") \
            if service.path in tree else ""
        pages[sid] = Page(service, _last_change(history, head, paths), text.splitlines())
    return pages


def _last_change(history: History, head: str, paths: list[str]) -> str | None:
    """The author date of the newest commit touching ``paths`` that is not the tracker's own
    (``Tracker: skip``): the tracker rewriting a changelog is no edit of the facts."""
    if not paths:
        return None
    for date, body in history.edits(head, paths):
        moment = date.strip()
        if moment and not SKIP_TRAILER.search(body):
            return moment
    return None


def _line_of(page: Page, model: str) -> int | None:
    """The line of the page's table row naming ``model``: in backticks or bold, else any cell."""
    for form in (f"`{model}`", f"**{model}**", f"| {model} |"):
        for number, text in enumerate(page.lines, 1):
            if text.lstrip().startswith("|") and form in text:
                return number
    for number, text in enumerate(page.lines, 1):
        if model in text:
            return number
    return None


# -- agreement -----------------------------------------------------------------------------------

def _reads(value: int) -> set[tuple[str, int]]:
    """How a length can be written in K or M: 131,072 and 128,000 are both '128K'."""
    found = set()
    for unit, scale in (("K", 1000), ("K", 1024), ("M", 1000 ** 2), ("M", 1024 ** 2)):
        if value % scale == 0:
            found.add((unit, value // scale))
    return found


def lengths_agree(page: int, catalogue: int) -> bool:
    return page == catalogue or bool(_reads(page) & _reads(catalogue))


def prices_agree(page: float, catalogue: float) -> bool:
    return abs(page - catalogue) <= 1e-9 * max(1.0, abs(page), abs(catalogue))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _differences(stated: Model, known: Model) -> Iterable[tuple[str, Any, Any]]:
    """(field, page value, catalogue value) for each fact both state and that differs."""
    for name in LENGTHS:
        page, cat = getattr(stated, name), getattr(known, name)
        if _number(page) and _number(cat) and not lengths_agree(int(page), int(cat)):
            yield name, page, cat
    if not stated.currency or stated.currency != known.currency:
        return  # amounts in different currencies are never compared
    for name in PRICES:
        page, cat = getattr(stated, name), getattr(known, name)
        if _number(page) and _number(cat) and not prices_agree(float(page), float(cat)):
            yield name, page, cat


def _resolve(model: str, source: DriftSource, ids: Iterable[str]) -> str | None:
    """The catalogue's id for a page's model among ``ids``: the configured one, the same id,
    the same id in other case, or the one id whose last segment is it (``qwen3-32b`` for
    ``qwen/qwen3-32b``)."""
    known = list(ids)
    wanted = source.models.get(model, model)
    if wanted in known:
        return wanted
    lower = wanted.lower()
    same = [i for i in known if i.lower() == lower]
    if len(same) == 1:
        return same[0]
    tail = lower.rsplit("/", 1)[-1]
    by_tail = [i for i in known if i.lower().rsplit("/", 1)[-1] == tail]
    return by_tail[0] if len(by_tail) == 1 else None


_QUALIFIED = re.compile(r"^(?P<base>.+?)\s*\((?P<qualifier>[^()]*)\)$")


def _page_models(service: Service) -> list[str]:
    """The page's model ids, less a price band's row (``gemini-1.5-flash (>128K)``) whose model
    has its own row: the row states a band, not another model."""
    ids = list(service.models)
    return [m for m in ids if not ((q := _QUALIFIED.match(m)) and q.group("base") in ids)]


# -- the comparison ------------------------------------------------------------------------------

def compare(page: Page, state: CatalogueState, source: DriftSource) -> list[Finding]:
    """What ``state`` knows about ``page``'s service that the page does not."""
    sid = page.service.id
    csid = source.services.get(sid, sid)
    listed = state.models.get(csid, {})
    gone_ids = [m for s, m in state.removed if s == csid]
    found: list[Finding] = []
    matched: set[str] = set()

    def finding(kind: str, model: str, cid: str | None, name: str | None, page_value: Any,
                cat_value: Any, since: Since | None) -> Finding:
        currency = page.service.models[model].currency if name in PRICES else None
        return Finding(kind, sid, model, name, page_value, cat_value, state.name,
                       since.date if since else None, since.commit if since else None,
                       page.service.path, _line_of(page, model), csid,
                       cid if cid != model else None, currency)

    for model in _page_models(page.service):
        stated = page.service.models[model]
        cid = _resolve(model, source, listed)
        if cid is None:
            old = _resolve(model, source, gone_ids)
            if old is not None:
                found.append(finding("gone", model, old, None, None, None,
                                     state.removed[(csid, old)]))
            else:
                found.append(finding("unlisted", model, None, None, None, None, None))
            continue
        matched.add(cid)
        known = listed[cid]
        for name, page_value, cat_value in _differences(stated, known):
            found.append(finding("value", model, cid, name, page_value, cat_value,
                                 state.values.get((csid, cid, name))))
        if known.shutdown_date and known.shutdown_date != stated.shutdown_date:
            found.append(finding("deprecated", model, cid, "shutdown_date",
                                 stated.shutdown_date, known.shutdown_date,
                                 state.values.get((csid, cid, "shutdown_date"))))
        elif known.deprecated and not (stated.deprecated or stated.shutdown_date):
            found.append(finding("deprecated", model, cid, "deprecated", None, "deprecated",
                                 state.values.get((csid, cid, "deprecated"))))
    if page.changed is None:
        return found  # no edit of the page to date news by (only the tracker's own commits)
    written = parse_moment(page.changed)
    pattern = source.only.get(csid)
    for cid, known in sorted(listed.items()):
        since = state.listed.get((csid, cid))
        if cid in matched or since is None or known.deprecated or known.shutdown_date:
            continue  # a model that comes deprecated is no news to add to a page
        if pattern and not fnmatch.fnmatchcase(cid, pattern):
            continue
        if parse_moment(since.date) > written:
            found.append(Finding("new", sid, cid, None, None, None, state.name, since.date,
                                 since.commit, None, None, csid))
    return found


def _order(finding: Finding) -> tuple[Any, ...]:
    return (finding.service, finding.catalogue, KINDS.index(finding.kind), finding.model,
            finding.field or "")


def run_drift(root: Path, services: Sequence[str] = (), progress: Any = None,
              catalogues: Sequence[str] = ()) -> DriftReport:
    """Every finding for the site at ``root`` (only ``services``' when given, against only the
    drift: entries named ``catalogues`` when given), in a fixed order."""
    config = load_config(root)
    if not config.drift:
        raise TrackerError("it names no catalogue to compare with", path=config_file(root),
                           hint="add a drift: entry, e.g. drift: [{name: models.dev, path: "
                                "../models.dev, preset: models-dev}]")
    named = [entry.name for entry in config.drift]
    for wanted in catalogues:
        if wanted not in named:
            entry = f"drift: [{{name: {wanted}, path: ../{wanted}, preset: …}}]"
            raise TrackerError(f"--catalogue {wanted!r} names no drift: entry",
                               path=config_file(root),
                               hint=f"{closest(wanted, named, 3)}; or add  {entry}")
    pages = site_pages(root, config)
    for wanted in services:
        if wanted not in pages:
            raise TrackerError(f"--service {wanted!r} names no service page",
                               hint=closest(wanted, pages, 3))
    chosen = {sid: page for sid, page in pages.items() if not services or sid in services}
    findings: list[Finding] = []
    unmatched: list[tuple[str, str]] = []
    unreadable: list[tuple[str, str]] = []
    for source in config.drift:
        if catalogues and source.name not in catalogues:
            continue
        state = walk_catalogue(root, source, progress)
        unreadable += [(state.name, path) for path in state.unreadable]
        for sid, page in chosen.items():
            if not state.service_known(source.services.get(sid, sid)):
                unmatched.append((state.name, sid))
                continue
            findings += compare(page, state, source)
    return DriftReport(sorted(findings, key=_order), unmatched, unreadable)


# -- output --------------------------------------------------------------------------------------

def show(name: str | None, value: Any, currency: str | None = None) -> str:
    """A value as a maintainer reads it: lengths with separators, prices per million."""
    if value is None:
        return "—"
    if name in LENGTHS and _number(value):
        return f"{int(value):,}"
    if name in PRICES and _number(value):
        sign = i18n.CURRENCY_SIGNS.get(currency or "", f"{currency} " if currency else "")
        return f"{sign}{float(value):g}/M"
    return str(value)


def describe(finding: Finding) -> str:
    """One line saying what the catalogue knows, and since when."""
    cat, when = finding.catalogue, _when(finding)
    where = f" ({finding.catalogue_model} there)" if finding.catalogue_model else ""
    if finding.kind == "value":
        label = i18n.field_label(finding.field, "en")
        page, said = (show(finding.field, value, finding.currency)
                      for value in (finding.page_value, finding.catalogue_value))
        return f"{label} {page} on the page, {said} in {cat}{where}{when}"
    if finding.kind == "deprecated":
        if finding.field == "shutdown_date":
            return f"shuts down on {finding.catalogue_value} says {cat}{where}{when}"
        return f"deprecated in {cat}{where}{when}"
    if finding.kind == "gone":
        return f"no longer listed by {cat} for {finding.catalogue_service}{where}{when}"
    if finding.kind == "unlisted":
        return f"never listed by {cat} for {finding.catalogue_service}"
    return f"added to {cat} for {finding.catalogue_service}{when}, after the page's last change"


def _when(finding: Finding) -> str:
    if not finding.since:
        return ""
    return f" since {finding.since[:10]} ({(finding.commit or '')[:9]})"


def format_report(report: DriftReport, fmt: str) -> str:
    """The findings as ``text`` (one line each), ``json`` ({"findings": [...]}) or ``markdown``
    (a table: the job summary and the issue the drift workflow keeps)."""
    findings = report.findings
    if fmt == "json":
        return json.dumps({"findings": [f.to_dict() for f in findings]}, ensure_ascii=False,
                          indent=2) + "\n"
    if fmt == "markdown":
        lines = [f"### {TITLE}", ""]
        if not findings:
            return "\n".join(lines + ["No findings: the pages agree with the catalogues.", ""])
        lines += [f"{len(findings)} finding{'s' if len(findings) != 1 else ''}.", "",
                  "| service | model | finding | page says | catalogue says | since | page line |",
                  "|---|---|---|---|---|---|---|"]
        for f in findings:
            label = f" ({i18n.field_label(f.field, 'en').lower()})" \
                if f.field and f.field != f.kind else ""
            said = show(f.field, f.catalogue_value, f.currency) \
                if f.kind in ("value", "deprecated") else ""
            cells = [f.service, f"`{f.model}`", f.kind + label,
                     show(f.field, f.page_value, f.currency) if f.kind == "value" else "",
                     f"{said} ({f.catalogue})".lstrip(),
                     f"{f.since[:10]} `{(f.commit or '')[:9]}`" if f.since else "",
                     f"`{f.path}:{f.line}`" if f.path and f.line else ""]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines) + "\n"
    lines = []
    for f in findings:
        where = f"{f.path}:{f.line}: " if f.path and f.line else ""
        lines.append(f"{where}{f.service} {f.model}: {f.kind}: {describe(f)}")
    lines.append(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}")
    return "\n".join(lines) + "\n"
