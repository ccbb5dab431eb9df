"""The command line: parse options, call the library, print. Nothing else lives here.

Exit status: 0 done; 1 the data or configuration is wrong (TrackerError, said in one line);
2 a usage error (click's own).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from tracker.errors import TrackerError
from tracker.model import SEVERITIES

repo_option = click.option("--repo", "root", type=click.Path(file_okay=False, path_type=Path),
                           default=".", show_default=True, help="The site's git repository.")
lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
                           show_default=True, help="Language of summaries.")


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """The one place a TrackerError becomes a message and exit status 1."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TrackerError as error:
            click.echo(f"tracker: {error}", err=True)
            sys.exit(1)

    return run


@click.group()
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
                        on_wait=None if quiet else _waiting)
    for warning in result.warnings:
        click.echo(f"warning: {warning} (at {warning.commit[:10] if warning.commit else '?'})",
                   err=True)
    for problem in result.skipped:
        click.echo(f"warning: {problem}; the page was left as it is", err=True)
    if not quiet:
        click.echo(f"{result.commits_walked} commits walked, {len(result.new_events)} new events, "
                   f"{len(result.warnings)} warnings, {len(result.written)} files written")


def _waiting(lock: Path) -> None:
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
    from tracker.ledger import Ledger
    from tracker.pipeline import render_all

    config = load_config(root)
    skipped: list[TrackerError] = []
    for path in render_all(config, Ledger(config), dry_run=dry_run, skipped=skipped):
        click.echo(("would write " if dry_run else "wrote ") + str(path))
    for problem in skipped:
        click.echo(f"warning: {problem}; the page was left as it is", err=True)


@cli.command()
@repo_option
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")
@click.option("--service", multiple=True, help="Only this service (repeatable).")
@click.option("--provider", multiple=True, help="Only this provider (repeatable).")
@click.option("--kind", multiple=True, help="Only this kind of event (repeatable).")
@click.option("--severity", multiple=True, type=click.Choice(SEVERITIES))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
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
    events = [e for e in Ledger(load_config(root)).events() if wanted(e)]
    click.echo(format_events(events, fmt, lang), nl=False)


@cli.command()
@repo_option
@click.option("--rev", default="HEAD", show_default=True, help="The revision to read.")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json",
              show_default=True)
@reports_errors
def snapshot(root: Path, rev: str, fmt: str) -> None:
    """Print the services as the parser sees them at a revision."""
    from tracker.pipeline import snapshot as take_snapshot

    found, warnings = take_snapshot(root, rev)
    for warning in warnings:
        click.echo(f"warning: {warning} (left out)", err=True)
    services = [s.to_dict() for s in found]
    if fmt == "yaml":
        from tracker.ledger import dump_yaml

        click.echo(dump_yaml(services).decode("utf-8"), nl=False)
    else:
        for service in services:
            click.echo(json.dumps(service, ensure_ascii=False))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of service data files."""
    from tracker.sources.data import SCHEMA

    click.echo(json.dumps(SCHEMA, indent=2, ensure_ascii=False))


@cli.command()
@repo_option
@click.argument("paths", nargs=-1)
@reports_errors
def check(root: Path, paths: tuple[str, ...]) -> None:
    """Parse every source file in the working tree (or PATHS); exit 1 if any does not parse."""
    from tracker.pipeline import check as run_check

    errors = run_check(root, paths or None)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        sys.exit(1)
    click.echo("all source files parse")


@cli.command()
@repo_option
@click.option("--week", help="ISO week, e.g. 2025-W46 (default: the last complete week).")
@click.option("--since", help="First day of a custom period (YYYY-MM-DD).")
@click.option("--until", help="Last day of a custom period (YYYY-MM-DD; default yesterday).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write <period>.html, .txt and .eml into this folder.")
@click.option("--send", is_flag=True, help="Send over SMTP (TRACKER_SMTP_* variables).")
@click.option("--force", is_flag=True, help="Send even if this period was already sent.")
@click.option("--send-empty", is_flag=True, help="Send even when nothing changed.")
@lang_option
@reports_errors
def digest(root: Path, week: str | None, since: str | None, until: str | None,
           out_dir: Path | None, send: bool, force: bool, send_empty: bool, lang: str) -> None:
    """Render the digest of a week (or any period), write it, send it once."""
    from datetime import date

    from tracker.config import load_config
    from tracker.ledger import Ledger
    from tracker.pipeline import run_digest
    from tracker.render.digest import period_from_options

    config = load_config(root)
    ledger = Ledger(config)
    period = period_from_options(week, since, until, today=date.today())
    outcome = run_digest(ledger.events(), config, period, lang, out_dir, send,
                         ledger.sent_digests(), force=force, send_empty=send_empty)
    if outcome.sent:
        ledger.mark_digest_sent(outcome.digest.key)
    click.echo(outcome.digest.subject)
    for path in outcome.paths:
        click.echo(f"wrote {path}")
    if send:
        click.echo("sent" if outcome.sent else f"not sent: {outcome.skipped_reason}")


@cli.command()
@repo_option
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@click.option("--install", help="What the workflows pip-install (default: this tracker's "
                                "version), e.g. a git URL.")
@reports_errors
def init(root: Path, force: bool, install: str | None) -> None:
    """Write a commented tracker.yaml and the GitHub Actions workflows into a site."""
    from tracker.init import init_site

    for path in init_site(root, force=force, install=install):
        click.echo(f"wrote {path}")


def main() -> None:
    cli(prog_name="tracker")

