"""The command line: parse options, call the library, print. Nothing else lives here.

Exit status: 0 done; 1 the data or configuration is wrong (TrackerError, said in one line);
2 a usage error (click's own).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click

from tracker.errors import TrackerError, closest
from tracker.model import KINDS, LANGS, SEVERITIES
from tracker.report import WarningPrinter, counted, summary_markdown, warn, write_step_summary

repo_option = click.option("--repo", "root", type=click.Path(path_type=Path), default=".",
                           show_default=True,
                           help="Any folder inside the site's git repository.")
lang_option = click.option("--lang", type=click.Choice(list(LANGS)), default="zh",
                           show_default=True, help="Language of summaries.")

# Each command imports the stages it runs in its own body, not at the top: `import tracker.cli`
# takes 33 ms, and the stages would add 101 ms (perf_counter, best of 5) to every tracker --help,
# tracker log and tracker schema, and to the no-op tracker update CI runs on every push.


def now() -> datetime:
    """The current moment, in UTC (a test replaces this to fake the clock)."""
    return datetime.now(UTC)


def _known(name: str, allowed: Any) -> Callable[..., tuple[str, ...]]:
    """A click callback: every value must be one of ``allowed``, else a usage error (exit 2)
    naming the closest valid value."""

    def validate(ctx: click.Context, param: click.Parameter,
                 values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if value not in allowed:
                raise click.BadParameter(f"{value!r} is not a {name}; "
                                         + closest(value, allowed), ctx, param)
        return values

    return validate


def _must_match(option: str, values: tuple[str, ...], known: set[str]) -> None:
    """A --service or --provider that names nothing in the ledger is an error, not an empty list."""
    for value in values:
        if value not in known:
            raise TrackerError(f"{option} {value!r} matches no event in the ledger",
                               hint=closest(value, known, 3) if known else "the ledger is empty")


def shown(path: Path | str, root: Path) -> str:
    """``path`` as the repository names it (``feeds/atom.xml``), whatever form --repo took;
    a path outside the repository as it was given, less its ``..`` detours (init's
    ``/work/content/../site/hugo.yaml`` is ``/work/site/hugo.yaml``)."""
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return os.path.normpath(path) if relative.startswith("..") else Path(relative).as_posix()


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """The one place a TrackerError becomes a message and exit status 1. It also finds the
    repository the way git does, so ``--repo`` (default: here) may be any folder inside it."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from tracker.walk.git import find_repository

        root: Path | None = None
        try:
            if "root" in kwargs:
                root = kwargs["root"] = find_repository(kwargs["root"])
            return command(*args, **kwargs)
        except TrackerError as error:
            if root is not None and error.path and os.path.isabs(error.path):
                error.path = shown(error.path, root)  # as the repository names it
            click.echo(f"tracker: {error}", err=True)
            sys.exit(1)

    return run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tracker")
def cli() -> None:
    """Turn the git history of a catalogue of LLM API services into changelogs and feeds."""


@cli.command()
@repo_option
@click.option("--no-render", is_flag=True, help="Walk and record events; render nothing.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@reports_errors
def update(root: Path, no_render: bool, quiet: bool) -> None:
    """Walk new commits into history/, then render pages, updates blocks and feeds."""
    from tracker.pipeline import update as run_update

    progress = None if quiet or not sys.stderr.isatty() else _progress
    result = run_update(root, progress=progress, render=not no_render,
                        on_wait=None if quiet else lambda lock: _waiting(shown(lock, root)))
    say = WarningPrinter()
    for warning in result.warnings:
        say(f"{warning.reason} (at {warning.commit[:10] if warning.commit else '?'})",
            warning.path, warning.line)
    _warn_skipped(result.skipped, say)
    for notice in result.notices:
        say(notice.message + (f" ({notice.hint})" if notice.hint else ""), notice.path,
            notice.line)
    for page in result.stale:  # named on every run, annotated under GitHub Actions
        say(page.message, page.path, page.line)
    write_step_summary(summary_markdown(result.new_events, result.commits_walked), say)
    if not quiet:
        # the count is of the warnings printed above, whatever printed them
        click.echo(f"{counted(result.commits_walked, 'commit')} walked, "
                   f"{counted(len(result.new_events), 'new event')}, "
                   f"{counted(say.count, 'warning')}, "
                   f"{counted(len(result.written), 'file')} written")


def _warn_skipped(skipped: list[TrackerError],
                  say: Callable[..., None] = warn) -> None:
    for problem in skipped:
        say(f"{problem.message}; the page was left as it is"
             + (f" ({problem.hint})" if problem.hint else ""), problem.path, problem.line)


def _waiting(lock: str) -> None:
    click.echo(f"waiting for another tracker run to finish (it holds {lock})", err=True)


def _progress(done: int, total: int) -> None:
    if done == total or done % 25 == 0:
        click.echo(f"\rwalking {done}/{total} commits", err=True, nl=done == total)


@cli.command()
@repo_option
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@reports_errors
def render(root: Path, dry_run: bool) -> None:
    """Render pages, updates blocks and feeds from history/ (no walk)."""
    from tracker.config import load_config
    from tracker.layout import private_notices
    from tracker.ledger import Ledger
    from tracker.pipeline import render_all
    from tracker.sources import glob_notices
    from tracker.walk.git import files_at

    config = load_config(root)
    notices = [] if dry_run else private_notices(config)  # a dry run moves nothing
    for notice in notices + glob_notices(config, files_at(root, "HEAD")):
        warn(notice.message + (f" ({notice.hint})" if notice.hint else ""), notice.path,
             notice.line)
    ledger = Ledger(config)
    if not ledger.raw_events():
        raise TrackerError("the ledger holds no events, so rendering would empty every "
                           "output; nothing was changed", path=str(ledger.dir),
                           hint="run tracker update first to walk the history; render only "
                                "redraws the outputs from the ledger")
    skipped: list[TrackerError] = []
    written = render_all(config, ledger, dry_run=dry_run, skipped=skipped)
    for path in written:
        click.echo(("would write " if dry_run else "wrote ") + shown(path, root))
    if not written:  # a page left as it is (a stray marker) does not match: not "every output"
        click.echo("nothing to change: every output already matches the ledger" if not skipped
                   else "nothing else to change: every other output already matches the ledger")
    _warn_skipped(skipped)
    for notice in ledger.unmatched_overrides():
        warn(notice.message + f" ({notice.hint})", notice.path, notice.line)


@cli.command()
@repo_option
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")
@click.option("--service", multiple=True, help="Only this service (repeatable).")
@click.option("--provider", multiple=True, help="Only this provider (repeatable).")
@click.option("--kind", multiple=True, callback=_known("kind", KINDS),
              help="Only this kind of event (repeatable).")
@click.option("--severity", multiple=True, callback=_known("severity", SEVERITIES),
              help="Only this severity: breaking, notable or info (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "markdown"]),
              default="text", show_default=True,
              help="json: one array; jsonl: one object per line, for streams.")
@lang_option
@reports_errors
def log(root: Path, since: Any, until: Any, service: tuple[str, ...], provider: tuple[str, ...],
        kind: tuple[str, ...], severity: tuple[str, ...], fmt: str, lang: str) -> None:
    """Print the events in history/, oldest first."""
    from tracker.config import load_config
    from tracker.ledger import Ledger
    from tracker.render.log import EventFilter, format_events

    wanted = EventFilter(since.date() if since else None, until.date() if until else None,
                         service, provider, kind, severity)
    all_events = Ledger(load_config(root)).events()
    _must_match("--service", service, {e.service for e in all_events})
    _must_match("--provider", provider, {e.provider for e in all_events if e.provider})
    events = [e for e in all_events if wanted(e)]
    click.echo(format_events(events, fmt, lang), nl=False)


@cli.command()
@repo_option
@click.option("--rev", default="HEAD", show_default=True, help="The revision to read.")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "yaml"]), default="json",
              show_default=True, help="json: one array; jsonl: one object per line.")
@reports_errors
def snapshot(root: Path, rev: str, fmt: str) -> None:
    """Print the services as the parser sees them at a revision."""
    from tracker.pipeline import snapshot as take_snapshot

    found, warnings = take_snapshot(root, rev)
    for warning in warnings:
        warn(f"{warning.reason} (left out)", warning.path, warning.line)
    services = [s.to_dict() for s in found]
    if fmt == "yaml":
        from tracker.ledger import dump_yaml

        click.echo(dump_yaml(services).decode("utf-8"), nl=False)
    elif fmt == "jsonl":
        for service in services:
            click.echo(json.dumps(service, ensure_ascii=False))
    else:
        click.echo(json.dumps(services, ensure_ascii=False, indent=2))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of service data files."""
    from tracker.sources.data import SCHEMA

    click.echo(json.dumps(SCHEMA, indent=2, ensure_ascii=False))


@cli.command()
@repo_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--drift", "with_drift", is_flag=True,
              help="Also compare the pages with the drift: catalogues; exit 1 on a finding.")
@reports_errors
def check(root: Path, paths: tuple[Path, ...], with_drift: bool) -> None:
    """Parse every source file in the working tree (or PATHS, files or folders); exit 1 if any
    does not parse, or if nothing was checked (with --drift: or a page is behind a catalogue)."""
    from tracker.check import check as run_check

    result = run_check(root, paths or None)
    for error in result.errors:
        click.echo(str(error), err=True)
    if result.errors:
        sys.exit(1)
    if not result.checked:
        raise TrackerError("no source file found to check",
                           hint="the globs of tracker.yaml cover no file here")
    click.echo(f"all source files parse ({result.checked} checked)")
    if with_drift:
        from tracker.drift import describe, format_report, run_drift

        report = run_drift(root)
        _drift_notes(report)
        for found in report.findings:  # under GitHub Actions: on the page's line
            warn(f"{found.service} {found.model}: {describe(found)}", found.path, found.line)
        write_step_summary(format_report(report, "markdown"))
        click.echo(f"{len(report.findings)} drift finding"
                   f"{'s' if len(report.findings) != 1 else ''}")
        if report.findings:
            sys.exit(1)


@cli.command()
@repo_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
@click.option("--service", multiple=True, help="Only this site service (repeatable).")
@click.option("--catalogue", multiple=True,
              help="Only the drift: entry of this name (repeatable; default: every one).")
@reports_errors
def drift(root: Path, fmt: str, service: tuple[str, ...], catalogue: tuple[str, ...]) -> None:
    """Say what the public catalogues of tracker.yaml's drift: know that the pages do not, and
    since which catalogue commit. Exits 0 whatever it finds (check --drift fails on findings)."""
    from tracker.drift import format_report, run_drift

    progress = _progress if sys.stderr.isatty() else None
    report = run_drift(root, service, progress, catalogue)
    _drift_notes(report)
    click.echo(format_report(report, fmt), nl=False)


def _drift_notes(report: Any) -> None:
    """What a drift run could not compare: pages with no catalogue service, unreadable files."""
    for catalogue, sid in report.unmatched:
        warn(f"{catalogue} has no service '{sid}'; map it under drift[].services to compare it")
    for catalogue, path in report.unreadable:
        warn(f"{catalogue}: {path} does not read at the checkout's HEAD; its last good version "
             "is compared (tracker check in that checkout names the problem)")


@cli.command()
@repo_option
@click.option("--week", help="ISO week, e.g. 2025-W46 (default: the last complete week).")
@click.option("--since", help="First day of a custom period (YYYY-MM-DD).")
@click.option("--until", help="Last day of a custom period (YYYY-MM-DD; default yesterday).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write <period>.html, .txt and .eml into this folder (without it, and "
                   "without --send, the text is printed).")
@click.option("--send", is_flag=True, help="Send over SMTP (TRACKER_SMTP_* variables).")
@click.option("--force", is_flag=True, help="Send even if this period was already sent.")
@click.option("--send-empty", is_flag=True, help="Send even when nothing changed.")
@lang_option
@reports_errors
def digest(root: Path, week: str | None, since: str | None, until: str | None,
           out_dir: Path | None, send: bool, force: bool, send_empty: bool, lang: str) -> None:
    """Render the digest of a week (or any period), write it, send it once."""
    from tracker.config import load_config
    from tracker.ledger import Ledger
    from tracker.pipeline import run_digest
    from tracker.render.digest import period_from_options

    config = load_config(root)
    ledger = Ledger(config)
    try:
        # the week is the UTC one, whatever the machine's time zone (CI runners, a laptop)
        period = period_from_options(week, since, until, today=now().astimezone(UTC).date())
    except TrackerError as error:  # every problem here is in the options: a usage error
        raise click.UsageError(str(error)) from None
    outcome = run_digest(ledger.events(), config, period, lang, out_dir, send,
                         ledger.sent_digests(), force=force, send_empty=send_empty)
    if outcome.sent:
        ledger.mark_digest_sent(outcome.digest.key)
    if out_dir is None and not send:
        # a preview: what subscribers will read, subject first as their mail client shows it
        click.echo(f"Subject: {outcome.digest.subject}\n")
        click.echo(outcome.digest.text, nl=not outcome.digest.text.endswith("\n"))
        return
    click.echo(outcome.digest.subject)
    for path in outcome.paths:
        click.echo(f"wrote {shown(path, root)}")
    if send:
        click.echo("sent" if outcome.sent else f"not sent: {outcome.skipped_reason}")


@cli.command()
@repo_option
@click.option("--force", is_flag=True, help="Write every file again, replacing what is there "
              "(without it, files that exist are kept; tracker.yaml gets the keys it lacks).")
@click.option("--install", help="What the workflows pip-install (default: the git URL and "
                                "commit this tracker was installed from).")
@click.option("--hugo-config", help="The Hugo configuration, when it is not at the repository "
                                    "root (e.g. ../site/hugo.yaml).")
@click.option("--drift", "drift_with", metavar="CATALOGUE",
              help="Add a daily workflow comparing the pages with this catalogue (models.dev, "
                   "litellm) and keeping one issue up to date.")
@reports_errors
def init(root: Path, force: bool, install: str | None, hugo_config: str | None,
         drift_with: str | None) -> None:
    """Write a commented tracker.yaml and the GitHub Actions workflows into a site (with
    --drift on a site already set up: only the drift workflow)."""
    from tracker.init import init_site, updates_offer

    notes: list[TrackerError] = []
    told: list[str] = []
    for path in init_site(root, force=force, install=install, notes=notes,
                          hugo_config=hugo_config, drift=drift_with, told=told):
        # as the repository names it, whatever form --repo took (".", "site/../site", absolute)
        click.echo(f"wrote {shown(path, root)}")
    for line in told:
        click.echo(line)
    for note in notes:
        warn(note.message + (f" ({note.hint})" if note.hint else ""), note.path, note.line)
    for page in updates_offer(root):
        click.echo(f"To show recent changes on {page}, add these two lines where they should "
                   "appear:\n  <!-- tracker:updates:begin -->\n  <!-- tracker:updates:end -->")


def main() -> None:
    """The console script: ``cli``, then the process ends without tearing its heap down, as
    mypy's ``hard_exit`` does. Freeing every object of a run one by one (the ledger's events, the
    facts in force) cost 20 ms of a no-op update and 40-50 ms of a one-commit one (0.12 → 0.10 s,
    0.46 → 0.41 s). Nothing is left to do at exit: every file is written and renamed and the
    lock released before ``cli`` returns, click.echo has flushed what it wrote (and handled a
    reader gone from the pipe), and a git child sees its pipe close either way. Tests call
    ``cli``, which returns; ``python -m tracker`` runs it too, so that a profiler or coverage
    wrapped around it still writes its report at exit. An exception (a bug) still ends the
    usual way, with its traceback, and so does a status that is not a number."""
    try:
        cli(prog_name="tracker")
        status: object = 0
    except SystemExit as done:
        status = done.code or 0
    if not isinstance(status, int):
        raise SystemExit(status)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None: started with that descriptor closed
            stream.flush()
    os._exit(status)
