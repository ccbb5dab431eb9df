"""The whole job, stage after stage: walk new commits → snapshots → changes → events → ledger,
then render every output from the ledger. The CLI and the demo call these functions.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tracker import __version__
from tracker.config import CONFIG_FILE, Config, load_config
from tracker.errors import ParseError, TrackerError
from tracker.fsutil import remove_stale_temporaries
from tracker.ledger import Ledger, State
from tracker.model import Event, ParseWarning, Service
from tracker.snapshots import Walker
from tracker.sources import Sources, glob_regex
from tracker.walk import Commit, History, head_of

Progress = Callable[[int, int], None]
LOCK_TIMEOUT = 120  # seconds a second run waits for the first before giving up


@dataclass
class UpdateResult:
    commits_walked: int = 0
    new_events: list[Event] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    skipped: list[TrackerError] = field(default_factory=list)  # pages left as they were


@contextmanager
def _lock(history: History) -> Iterator[None]:
    """One run at a time per repository: a second waits, then gives up with a message."""
    from filelock import FileLock, Timeout

    path = Path(history.repo.git_dir) / "tracker.lock"
    timeout = float(os.environ.get("TRACKER_LOCK_TIMEOUT", LOCK_TIMEOUT))
    try:
        with FileLock(str(path), timeout=timeout):
            yield
    except Timeout:
        raise TrackerError(f"another tracker run has held {path} for {timeout:g} s",
                           hint="wait for it to finish; if none is running, delete the lock "
                                "file") from None


def _walker_key(config: Config, commit: str) -> tuple[str, ...]:
    """What the facts at ``commit`` depend on: the commit, this tracker, the configuration."""
    try:
        settings = (Path(config.root) / CONFIG_FILE).read_bytes()
    except OSError:
        settings = b""
    return (__version__, commit, hashlib.sha1(settings).hexdigest())


def walk(config: Config, history: History, state: State, head: str,
         progress: Progress | None = None, saved: Path | None = None,
         ) -> tuple[list[Commit], list[Event], list[ParseWarning], Walker]:
    """Walk the commits after the state's last commit (or all of them) up to ``head``;
    ``saved`` is where a previous walk may have kept the facts at its last commit."""
    since = state.last_commit
    last_good = dict(state.last_good)
    if since and not history.exists(since):
        since, last_good = None, {}  # rewritten history: walk again; ids keep feeds quiet
    elif since and not history.is_ancestor(since, head):
        since, last_good = history.merge_base(since, head), {}
    if since is None and history.is_shallow():
        raise TrackerError("this is a shallow clone, so its history cannot be walked",
                           hint="fetch the full history: git fetch --unshallow, or in GitHub "
                                "Actions actions/checkout with fetch-depth: 0")
    walker = Walker(history, Sources(config))
    if since and not (saved and since == state.last_commit
                      and walker.restore(saved, _walker_key(config, since))):
        walker.load(since, last_good)
    commits = list(history.commits(since, head))
    stream = history.stream([change.blob for commit in commits for change in commit.changes
                             if change.blob and walker.sources.kind_of(change.path)])
    walker.read = stream.read
    events: list[Event] = []
    warnings: list[ParseWarning] = []
    try:
        for done, commit in enumerate(commits, 1):
            new_events, new_warnings = walker.step(commit)
            events += new_events
            warnings += new_warnings
            if progress:
                progress(done, len(commits))
    finally:
        stream.close()
    return commits, events, warnings, walker


def update(root: Path, *, progress: Progress | None = None, render: bool = True) -> UpdateResult:
    """Walk what is new since the last run into the ledger, then render every output."""
    config = load_config(root)
    ledger = Ledger(config)
    last_walked = ledger.state().last_commit
    if last_walked is not None and head_of(root) == last_walked:
        return UpdateResult()  # nothing new, decided without loading git or taking the lock
    history = History(root)
    with _lock(history):
        state = ledger.state()
        head = history.head()
        if head is None or head == state.last_commit:
            return UpdateResult()
        remove_stale_temporaries(Path(root))
        skipped: list[TrackerError] = []
        saved = ledger.cache_dir / "walker.pickle" if ledger.cache_dir else None
        commits, events, warnings, walker = walk(config, history, state, head, progress, saved)
        written = ledger.add_events(events)
        if ledger.add_warnings(warnings):
            written.append(ledger.dir / "warnings.yaml")
        if render:
            # pages of services no walked commit touched cannot need a new block
            services = walker.visited | {e.service for e in events}
            written += render_all(config, ledger, services=services, skipped=skipped)
        # The state goes last: a run killed before this point is walked and rendered again by
        # the next one, which merges events by id and so ends with the same bytes.
        if ledger.write_state(State(last_commit=head, last_good=walker.broken)):
            written.append(ledger.dir / "state.yaml")
        if saved:
            walker.save(saved, _walker_key(config, head))
        return UpdateResult(len(commits), events, warnings, written, skipped)


def render_all(config: Config, ledger: Ledger, dry_run: bool = False,
               services: set[str] | None = None,
               skipped: list[TrackerError] | None = None) -> list[Path]:
    """Every output from the ledger: charts, page changelogs (of ``services`` only, when given:
    the others cannot have changed), updates blocks, feeds, the shutdown calendar and the OPML
    list of feeds. A page that cannot be rewritten safely is noted in ``skipped`` and left as it
    is (without ``skipped``, it raises)."""
    from tracker.render.calendar import CALENDAR_FILE, build_calendar
    from tracker.render.changelog import update_pages
    from tracker.render.charts import build_charts, charted_services, owned_names, write_charts
    from tracker.render.feeds import build_feeds, write_feeds
    from tracker.render.opml import OPML_FILE, build_opml
    from tracker.render.updates import update_blocks

    events = ledger.events()
    on_pages = events if services is None else [e for e in events if e.service in services]
    written: list[Path] = []
    charts = build_charts(events, config, services)
    written += write_charts(config, charts, dry_run, owned=owned_names(events, config, services))
    charted = charted_services(charts, config)
    written += [change.path for change in update_pages(config, on_pages, dry_run, skipped,
                                                       charted)]
    written += [change.path for change in update_blocks(config, events, dry_run, skipped)]
    feeds = build_feeds(events, config, services)
    feeds[CALENDAR_FILE] = build_calendar(ledger.raw_events(), ledger.overrides(), config)
    feeds[OPML_FILE] = build_opml(events, config)
    written += write_feeds(config, feeds, dry_run=dry_run, prune=services is None)
    return written


def snapshot(root: Path, rev: str = "HEAD") -> tuple[list[Service], list[ParseWarning]]:
    """The services as the parser sees them at ``rev``, and the files that did not parse."""
    config = load_config(root)
    history = History(root)
    try:
        sha = history.repo.git.rev_parse("--verify", f"{rev}^{{commit}}")
    except Exception:
        raise TrackerError(f"no such revision: {rev}", hint="name a commit, branch or tag") \
            from None
    walker = Walker(history, Sources(config))
    warnings = walker.load(sha, {})
    return [walker.services[sid] for sid in sorted(walker.services)], warnings


def check(root: Path, paths: Iterable[str] | None = None) -> list[TrackerError]:
    """Parse every source file in the working tree (or ``paths``) and look at the tracker's
    markers in pages and updates files; the problems found, each naming its file and line."""
    from tracker.render.markers import Page, find_markers

    config = load_config(root)
    sources = Sources(config)
    if paths is None:
        found = []
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = sorted(d for d in subfolders if d != ".git")
            found += [str((Path(folder) / name).relative_to(root)) for name in files]
        candidates = sorted(found)
    else:
        candidates = sorted(paths)
    updates = [re.compile(glob_regex(p) + r"\Z") for p in config.updates_files]
    errors: list[TrackerError] = []
    for path in candidates:
        kind = sources.kind_of(path)
        raw = (root / path).read_bytes() if kind or any(u.match(path) for u in updates) else None
        if raw is None:
            continue
        if kind:
            try:
                sources.parse(path, raw)
            except ParseError as error:
                error.path = error.path or path
                errors.append(error)
                continue
        for name in ("changelog", "updates"):
            try:
                find_markers(Page(raw.decode("utf-8", "replace")), name)
            except TrackerError as error:
                errors.append(TrackerError(error.message, path=path, line=error.line,
                                           hint=error.hint))
    return errors
