"""What one ``tracker update`` must render: decided from the walked commits and their new events,
so that a push costs what it changed, not the size of the site. ``tracker render`` renders
everything and never asks.

The contract is byte-identity with a full render of the same ledger (tests/test_incremental.py):
where an output cannot be proven unchanged cheaply, it is rendered.

- Everything, when the inputs of every output may have moved: the first walk, one started again
  (rewritten history; facts kept by another release of tracker or another tracker.yaml), the
  configuration, the site's templates or the ledger's overrides changed (committed, or in the
  work tree against HEAD), a Markdown file no source reads changed (a provider's page, an
  updates page: they name things in every output), or a service was renamed or removed (its
  old outputs are pruned only by a full build).
- A service's page block: when a walked commit changed its files (a hand edit inside the block
  is put back) or it has a new event.
- A service's chart and its own and its providers' feeds: when it has a new event; and those of
  every service whose files changed, when any source file changed other than inside the
  tracker's blocks (a page's link text names the provider it links to); then the feeds of the
  providers those files link to, before or now (maybe another service's provider).
- The site-wide outputs (main feeds, updates blocks, calendar, OPML): when there is any new
  event, or any source file changed other than inside the tracker's blocks (names again). The
  workflow's commit of the tracker's own outputs changes pages only there: it renders nothing
  but the blocks of those pages. Of those, the calendar only when a service with an entry
  (cancelled ones included, the new events counted) has a new event or changed files: only
  its events move an entry, only its files its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tracker.config import Config, config_file
from tracker.layout import ledger_dir
from tracker.model import Event
from tracker.walk.git import Commit, History, blob_id

# events after which only a full build leaves the right set of files (it prunes the old ones)
_PRUNING_KINDS = frozenset({"service_renamed", "service_removed"})


@dataclass(frozen=True)
class Plan:
    """What to render. ``pages``/``drawn`` None: every service's."""

    pages: set[str] | None = None  # services whose page blocks are rendered
    drawn: set[str] | None = None  # services whose charts and own/provider feeds are rendered
    site: bool = True  # main feeds, updates blocks, calendar, OPML
    calendar: bool = True  # with site: the calendar too
    # more providers whose feeds are rendered (a page's link text names the provider it links to)
    providers: frozenset[str] = frozenset()

    @property
    def full(self) -> bool:
        return self.pages is None and self.drawn is None and self.site


EVERYTHING = Plan()


@dataclass(frozen=True)
class Walked:
    """What the walk tells the plan besides its commits and events."""

    # it went on from the facts the last run kept, by this code with this configuration (not
    # a first walk, one after rewritten history, an upgrade of tracker or an edited tracker.yaml)
    continued: bool
    visited: set[str]  # services whose files the walked commits changed
    reread: set[str]  # source paths they changed other than inside the tracker's blocks
    wants: Callable[[str], object]  # whether a source reads a path (truthy: yes)
    since: str | None = None  # the last run's commit


def plan(config: Config, history: History, head: str, commits: list[Commit],
         events: list[Event], walked: Walked,
         calendar_services: Callable[[set[str]], set[str]]) -> Plan:
    """The outputs an update must render after walking ``commits`` into ``events``;
    ``calendar_services`` gives those of the services it is given that the calendar has an
    entry for, cancelled ones included, with the new events in the ledger already (so a new,
    moved or cancelled entry is of a service with a new event)."""

    visited, reread, wants = walked.visited, walked.reread, walked.wants
    continued = walked.continued
    if not continued or any(e.kind in _PRUNING_KINDS for e in events):
        return EVERYTHING
    inputs = _render_inputs(config)
    for commit in commits:
        for change in commit.changes:
            for path in (change.path, change.old_path):
                if path and (_is_input(path, inputs) or path.endswith(".md")
                             and not wants(path)):
                    return EVERYTHING
    if _worktree_differs(config, history, head, inputs):
        return EVERYTHING
    touched = {e.service for e in events}
    drawn = touched | visited if reread else touched
    site = bool(events) or bool(reread)
    named = touched | visited  # entries they may have moved, names they may have changed
    calendar = site and bool(named and calendar_services(named))  # a replay: only if asked
    return Plan(pages=visited | touched, drawn=drawn, site=site,
                calendar=calendar,
                providers=_linked_providers(config, history, walked.since, reread))


def _linked_providers(config: Config, history: History, since: str | None,
                      paths: set[str]) -> frozenset[str]:
    """The providers a link in one of ``paths`` names, as the last run saw it (at ``since``) or
    as it is now (the work tree): the only providers whose names these pages can have moved."""
    from tracker.render.names import PROVIDER_LINK  # with the renderers: not for a no-op run

    slugs: set[str] = set()
    for path in sorted(paths):
        texts = []
        try:
            texts.append((Path(config.root) / path).read_bytes())
        except OSError:
            pass  # removed: its old version still named its providers
        blob = history.blob_at(since, path) if since else None
        if blob:
            texts.append(history.read(blob))
        for raw in texts:
            slugs |= {slug for _label, slug in PROVIDER_LINK.findall(raw.decode("utf-8",
                                                                                "replace"))}
    return frozenset(slugs)


def _render_inputs(config: Config) -> tuple[str, ...]:
    """Files and folders (ending in /) every output depends on, relative to the root."""
    ledger = Path(ledger_dir(config)).as_posix().strip("/")
    inputs = [config_file(config.root), f"{ledger}/overrides.yaml"]
    if config.templates_dir:
        inputs.append(PurePosixPath(config.templates_dir).as_posix().strip("/") + "/")
    return tuple(inputs)


def _is_input(path: str, inputs: tuple[str, ...]) -> bool:
    return any(path == i or i.endswith("/") and path.startswith(i) for i in inputs)


def _worktree_differs(config: Config, history: History, head: str,
                      inputs: tuple[str, ...]) -> bool:
    """Whether a render input file (not a folder) is edited in the work tree against HEAD: a
    maintainer's uncommitted overrides are rendered as a full render would."""
    for relative in inputs:
        if relative.endswith("/"):
            continue
        path = Path(config.root) / relative
        committed = history.blob_at(head, relative)
        try:
            data = path.read_bytes()
        except OSError:
            if committed is not None:
                return True
            continue
        if committed != blob_id(data):
            return True
    return False
