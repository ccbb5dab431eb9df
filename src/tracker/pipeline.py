"""The whole job, stage after stage: walk new commits → snapshots → changes → events → ledger,
then render every output from the ledger. The CLI and the demo call these functions.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tracker.config import Config, config_file, load_config
from tracker.dated import commit_day, service_in_force
from tracker.errors import ParseError, TrackerError
from tracker.fsutil import remove_stale_temporaries, write_atomic
from tracker.layout import ledger_dir, private_notices
from tracker.ledger import Ledger, State
from tracker.model import Event, ParseWarning, Service
from tracker.plan import EVERYTHING, Plan, Walked, plan
from tracker.site import site_base
from tracker.sources import Sources, glob_notices
from tracker.walk import checkpoint
from tracker.walk.git import Commit, History, files_at, head_of

if TYPE_CHECKING:
    from tracker.render.digest import Digest, Period
    from tracker.walk.snapshots import Snapshots

Progress = Callable[[int, int], None]
LOCK_TIMEOUT = 120  # seconds a second run waits for the first before giving up


@dataclass(frozen=True)
class StalePage:
    """A page some of whose facts are still the last good ones: it has not read wholly since
    ``since``, ``commits`` commits ago (that one included)."""

    path: str
    since: str
    commits: int
    line: int | None = None

    @property
    def message(self) -> str:
        return (f"stale, still on last good facts since {self.since[:10]} "
                f"({self.commits} commit{'s' if self.commits != 1 else ''}); fix the page "
                "(`tracker check` names the problem)")

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def stale_pages(history: History, stale: dict[str, str], head: str,
                sources: Sources | None = None) -> list[StalePage]:
    """The stale pages at ``head``, with how many commits each has been stale and, when
    ``sources`` can read the page, the line of the first section that did not read."""
    found = []
    tree = history.tree(head) if stale and sources is not None else {}
    counts = history.counts(list(stale.values()), head) if stale else {}
    for path, since in sorted(stale.items()):
        walked = counts[since]  # None: a commit rewritten away, count unknown
        count = 0 if walked is None else walked + 1
        line = _failed_line(sources, path, history.read(tree[path])) \
            if sources is not None and path in tree else None
        found.append(StalePage(path, since, count, line))
    return found


def _failed_line(sources: Sources, path: str, raw: bytes) -> int | None:
    """Where the page stops reading: the line of its first section that failed, or of the
    parse error; None when the version at head reads wholly (stale only until the next walk)."""
    try:
        parsed = sources.parse(path, raw)
    except ParseError as error:
        return error.line
    lines = [problem.line for service in parsed.services for problem in service.problems
             if problem.line is not None]
    return min(lines) if lines else None


@dataclass
class UpdateResult:
    commits_walked: int = 0
    new_events: list[Event] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    skipped: list[TrackerError] = field(default_factory=list)  # pages left as they were
    stale: list[StalePage] = field(default_factory=list)  # pages on last good facts
    notices: list[TrackerError] = field(default_factory=list)  # warnings about the setup


@contextmanager
def _lock(history: History, on_wait: Callable[[Path], None] | None = None) -> Iterator[None]:
    """One run at a time per repository: a second waits (telling ``on_wait`` once, with the
    lock's path, that it does), then gives up with a message."""
    from filelock import FileLock, Timeout

    path = history.git_dir / "tracker.lock"
    given = os.environ.get("TRACKER_LOCK_TIMEOUT", str(LOCK_TIMEOUT))
    try:
        timeout = float(given)
    except ValueError:
        raise TrackerError(f"TRACKER_LOCK_TIMEOUT is {given!r}, not a number of seconds",
                           hint="set it to e.g. 600, or unset it") from None
    lock = FileLock(str(path), timeout=timeout)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if on_wait:
                on_wait(path)
            lock.acquire()
        try:
            yield
        finally:
            lock.release()
    except Timeout:
        raise TrackerError(f"another tracker run has held {path} for {timeout:g} s",
                           hint="wait for it to finish; if none is running, delete the lock "
                                "file") from None


def _snapshots_key(config: Config, commit: str) -> tuple[str, ...]:
    """What the facts at ``commit`` depend on: the commit and the configuration (the code that
    parsed them is added by tracker.cache)."""
    try:
        settings = (Path(config.root) / config_file(config.root)).read_bytes()
    except OSError:
        settings = b""
    return (commit, hashlib.sha1(settings).hexdigest())


def walk_new_commits(config: Config, history: History, state: State, head: str,
                     progress: Progress | None = None, saved: Path | None = None,
                     facts_file: Path | None = None,
                     first_names: Callable[[], dict[str, str]] | None = None,
                     ) -> tuple[list[Commit], list[Event], list[ParseWarning], Snapshots]:
    """Walk the commits after the state's last commit (or all of them) up to ``head``;
    ``saved`` (a cache in .git) and ``facts_file`` (history/facts.jsonl, committed: what a
    fresh clone has) are where a previous walk may have kept the facts at its last commit.
    ``first_names`` gives the name each service first had, for a walk that must start by
    parsing the tree again (asked only then: it reads the whole ledger)."""
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
    from tracker.walk.snapshots import Snapshots  # with the parsers: not for a no-op run

    snapshots = Snapshots(history, Sources(config))
    snapshots.outputs = Path(ledger_dir(config)).as_posix().strip("/") + "/"
    snapshots.restored = bool(since and since == state.last_commit
                              and (saved and snapshots.restore(saved,
                                                               _snapshots_key(config, since))
                                   or facts_file and _import_facts(snapshots, facts_file,
                                                                   _snapshots_key(config, since),
                                                                   first_names)))
    if since and not snapshots.restored:
        if first_names is not None:
            snapshots.first_names = first_names()
        snapshots.load(since, last_good, state.stale)
    commits = list(history.commits(since, head))
    events, warnings = snapshots.run(commits, progress)
    return commits, events, warnings, snapshots


def _import_facts(snapshots: Snapshots, facts_file: Path, key: tuple[str, ...],
                  first_names: Callable[[], dict[str, str]] | None) -> bool:
    try:
        data = facts_file.read_bytes()
    except OSError:
        return False
    return snapshots.import_facts(data, key, first_names)


def update(root: Path, *, progress: Progress | None = None, render: bool = True,
           on_wait: Callable[[Path], None] | None = None) -> UpdateResult:
    """Walk what is new since the last run into the ledger, then render every output.
    ``on_wait`` is told when another run holds the lock and this one waits for it."""
    config = load_config(root)
    notices = private_notices(config)
    ledger = Ledger(config)
    notices += glob_notices(config, files_at(root, "HEAD"))
    state = ledger.state()
    if state.last_commit is not None and head_of(root) == state.last_commit \
            and not state.stale:
        # nothing new, decided without loading git or taking the lock
        return UpdateResult(notices=notices)
    history = History(root)
    with _lock(history, on_wait):
        state = ledger.state()
        head = history.head()
        if head is None or head == state.last_commit:
            # nothing new, but a stale page is named on every run
            return UpdateResult(notices=notices,
                                stale=stale_pages(history, state.stale, head, Sources(config))
                                if head else [])
        remove_stale_temporaries(Path(root))
        if ledger.cache_dir and ledger.cache_dir.is_dir():
            remove_stale_temporaries(ledger.cache_dir)
        skipped: list[TrackerError] = []
        saved = ledger.cache_dir / "walker.pickle" if ledger.cache_dir else None
        facts_file = ledger.dir / checkpoint.FILE
        commits, events, warnings, snapshots = walk_new_commits(
            config, history, state, head, progress, saved, facts_file,
            ledger.first_names)
        if commits and all(c.skip for c in commits) and snapshots.broken == state.last_good:
            # Only the tracker's own commits (or others marked skip): writing state.yaml would
            # make CI commit again after every push. The next run walks them again, cheaply.
            return UpdateResult(notices=notices)
        written = ledger.add_events(events)
        if ledger.add_warnings(warnings):
            written.append(ledger.dir / "warnings.yaml")
        if render:
            from tracker.render.calendar import services_on_calendar  # with the renderers

            walked = Walked(snapshots.restored, snapshots.visited, snapshots.reread,
                            snapshots.sources.kind_of, state.last_commit)

            def calendar_services(named: set[str]) -> set[str]:
                return services_on_calendar(ledger.raw_events(), ledger.overrides(), named)

            written += render_all(config, ledger, skipped=skipped,
                                  plan=plan(config, history, head, commits, events, walked,
                                            calendar_services))
            notices += ledger.unmatched_overrides()
        if ledger.write_cache():
            written.append(ledger.cache_file)
        facts = snapshots.export_facts(_snapshots_key(config, head))
        if facts is None:
            facts_file.unlink(missing_ok=True)  # stale: keyed to an older commit, never used
        elif write_atomic(facts_file, facts, durable=False):  # only saves time: no fsync
            written.append(facts_file)
        # The state goes last: a run killed before this point is walked and rendered again by
        # the next one, which merges events by id and so ends with the same bytes.
        if ledger.write_state(State(last_commit=head, last_good=snapshots.broken,
                                    stale=snapshots.stale)):
            written.append(ledger.dir / "state.yaml")
        if saved:
            snapshots.save(saved, _snapshots_key(config, head))
        notices += record_notes(snapshots, commits)
        return UpdateResult(len(commits), events, warnings, written, skipped,
                            stale_pages(history, snapshots.stale, head, snapshots.sources),
                            notices)


def record_notes(snapshots: Snapshots, commits: list[Commit]) -> list[TrackerError]:
    """Once per run, not per commit: for every record file the run walked, how many of its
    records (as of the newest version) went to the fallback service or could not be tracked."""
    walked = sorted({change.path for commit in commits for change in commit.changes})
    return [TrackerError(note, path=path) for path in walked if path in snapshots.files
            for note in snapshots.files[path].notes]


RENDER_GC_THRESHOLD = 20_000  # allocations between young collections while rendering (700)


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """The objects alive when rendering starts (the ledger's events, what the walk keeps) left
    out of the collections rendering triggers: they outlive it, and scanning them again at each
    full collection was half of a render's collector time; and young collections made rarer
    (rendering makes many short-lived containers, few cycles). A full update's GC inside
    render_all, models.dev and the site: 0.14-0.18 s, frozen 0.06-0.07 s, with the threshold
    0.02-0.03 s, the same peak memory. Both undone after, so nothing stays out of the
    collector, nor collected otherwise, beyond one render."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(RENDER_GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def render_all(config: Config, ledger: Ledger, dry_run: bool = False,
               skipped: list[TrackerError] | None = None,
               plan: Plan = EVERYTHING) -> list[Path]:
    """Every output from the ledger: charts, page changelogs, updates blocks, feeds, the
    shutdown calendar and the OPML list of feeds — or only those ``plan`` names (tracker.plan:
    the others cannot have changed). A page that cannot be rewritten safely is noted in
    ``skipped`` and left as it is (without ``skipped``, it raises)."""
    # The renderers here, not at the top: 51 ms to import (perf_counter, best of 5) that a run
    # with nothing new, tracker check and tracker snapshot never need.
    from tracker.render.calendar import CALENDAR_FILE, build_calendar
    from tracker.render.changelog import update_pages
    from tracker.render.charts import build_charts, charted_services, on_disk, owned_names
    from tracker.render.feeds import build_feeds
    from tracker.render.names import one_render
    from tracker.render.opml import OPML_FILE, build_opml
    from tracker.render.updates import update_blocks
    from tracker.writer import write_charts, write_feeds

    with one_render(), _frozen_heap():  # every output asks for the same names: worked out once
        events = ledger.events()
        written: list[Path] = []
        charts = build_charts(events, config, plan.drawn)
        written += write_charts(config, charts, dry_run,
                                owned=owned_names(events, config, plan.drawn))
        charted = charted_services(charts, config, {e.service for e in events})
        if plan.pages and plan.drawn is not None:
            # a page links its chart when it has one: not drawn here, the one on disk is the
            # last render's, unchanged since (its inputs are)
            charted |= on_disk(config, plan.pages - plan.drawn)
        if plan.pages is None or plan.pages:
            written += [change.path for change in update_pages(config, events, dry_run, skipped,
                                                               plan.pages, charted)]
        if plan.site:
            written += [change.path for change in update_blocks(config, events, dry_run,
                                                                skipped)]
        feeds = build_feeds(events, config, plan.drawn, site=plan.site,
                            providers=plan.providers) \
            if plan.site or plan.drawn is None or plan.drawn else {}
        if plan.site and plan.calendar:
            feeds[CALENDAR_FILE] = build_calendar(ledger.raw_events(), ledger.overrides(), config)
        if plan.site:
            feeds[OPML_FILE] = build_opml(events, config)
        written += write_feeds(config, feeds, dry_run=dry_run, prune=plan.full)
    return written


def snapshot(root: Path, rev: str = "HEAD") -> tuple[list[Service], list[ParseWarning]]:
    """The services as the parser sees them at ``rev``, and the files that did not parse."""
    config = load_config(root)
    history = History(root)
    sha = history.resolve(rev)
    if sha is None:
        raise TrackerError(f"no such revision: {rev}", hint="name a commit, branch or tag")
    from tracker.walk.snapshots import Snapshots  # with the parsers: not for a no-op run

    snapshots = Snapshots(history, Sources(config))
    # a service its title names keeps the name the ledger knows it by, as in every output:
    # an SEO edit of a title is no rename here either
    snapshots.first_names = Ledger(config).first_names()
    warnings = snapshots.load(sha, {})
    day = commit_day(history.author_date(sha))  # prices in force then
    return [service_in_force(snapshots.services[sid], day)
            for sid in sorted(snapshots.services)], warnings


@dataclass(frozen=True)
class DigestOutcome:
    """What ``run_digest`` did: files written, whether a mail went out, and why not."""

    digest: Digest
    paths: list[Path]
    sent: bool
    skipped_reason: str | None = None
    refused: tuple[str, ...] = ()  # recipients the server refused while accepting others


def run_digest(events: list[Event], config: Config, period: Period, lang: str,
               out_dir: Path | None, send: bool, already_sent: set[str], force: bool = False,
               send_empty: bool = False,
               environ: Mapping[str, str] = os.environ) -> DigestOutcome:
    """What ``tracker digest`` does: build the digest, write it when ``out_dir`` is given, send
    it when asked and due — not when the period was already sent (its key is in
    ``already_sent``) or is empty.

    The SMTP settings are read before anything is written, so a missing variable stops the run
    cleanly; a failure while sending propagates after the files are written. The caller records
    ``digest.key`` as sent only when ``sent`` is True.
    """
    # the digest and the mail (21 ms to import) only for tracker digest
    from tracker.mail import ENV_PREFIX, SmtpSettings, build_message, send_message
    from tracker.render.digest import build_digest, digest_title
    from tracker.writer import write_digest

    digest = build_digest(events, config, period, lang)
    # the site's own domain (from its base URL) unless TRACKER_SMTP_FROM says otherwise
    host = urlsplit(site_base(config)).hostname or "localhost"
    default_sender = f"{digest_title(config, lang)} <digest@{host}>"
    settings: SmtpSettings | None = None
    if send:
        settings = SmtpSettings.from_env(environ, default_sender)
    elif environ.get(ENV_PREFIX + "HOST"):
        # not sending, but the .eml should show the real addresses when they are configured
        try:
            settings = SmtpSettings.from_env(environ, default_sender)
        except TrackerError:
            settings = None
    sender = settings.sender if settings else default_sender
    recipients = settings.recipients if settings else ()
    message = build_message(digest, sender, recipients, config.digest.unsubscribe)

    paths = write_digest(digest, message, out_dir) if out_dir is not None else []
    if not send or settings is None:
        return DigestOutcome(digest, paths, False, "sending was not requested")
    if digest.key in already_sent and not force:
        return DigestOutcome(digest, paths, False,
                             f"{digest.key} was already sent (--force sends it again)")
    if digest.empty and not send_empty:
        return DigestOutcome(digest, paths, False,
                             f"no changes in {digest.key}; nothing sent "
                             "(--send-empty sends it anyway)")
    refused = send_message(message, settings)
    return DigestOutcome(digest, paths, True, None, tuple(sorted(refused)))
