"""``make demo``: build the example catalogue, run tracker on its year of history, show the result.

Steps: build ``examples/build/site`` from ``examples/catalogue`` (same commit shas every time),
run the whole pipeline on it (walk, ledger, page changelogs, updates block, feeds), render the
digest of the latest week that has events into ``examples/build/digest``, then replace the
project's top-level ``history/``, ``feeds/`` and ``charts/`` with the ones the run produced (the
charts from the site's ``static/tracker/charts/``), and print a short
report. Everything written depends only on the example history, so a second run changes nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
PROJECT = EXAMPLES.parent
sys.path.insert(0, str(EXAMPLES))  # build_example is a script beside the catalogue

import build_example

from tracker import ledgercache
from tracker.config import load_config
from tracker.ledger import Ledger
from tracker.model import SEVERITIES, Event
from tracker.pipeline import update
from tracker.walk import checkpoint

SITE = build_example.DEFAULT_DEST
DIGEST_DIR = build_example.BUILD / "digest"
# (folder of the built site, folder of this project): the outputs committed with the project
COPIED = (("history", "history"), ("feeds", "feeds"), ("static/tracker/charts", "charts"))


def show(path: Path) -> str:
    """A path as the user would type it from the project folder."""
    try:
        return str(path.relative_to(PROJECT))
    except ValueError:
        return str(path)


class ProgressLine:
    """Walk progress: one line rewritten in place on a terminal, a few plain lines otherwise."""

    def __init__(self) -> None:
        self.interactive = sys.stdout.isatty()
        self.last_step = -1

    def __call__(self, done: int, total: int) -> None:
        if self.interactive:
            print(f"\r  walking history: {done}/{total} commits", end="", flush=True)
            return
        step = (10 * done) // max(total, 1)
        if step != self.last_step:
            self.last_step = step
            print(f"  walking history: {done}/{total} commits", flush=True)

    def finish(self) -> None:
        if self.interactive:
            print(flush=True)


def latest_week(events: list[Event]) -> str | None:
    """The ISO week (``2025-W47``) of the newest event, in the commit's own time zone."""
    if not events:
        return None
    newest = max(datetime.fromisoformat(event.date) for event in events)
    year, week, _ = newest.isocalendar()
    return f"{year}-W{week:02d}"


def render_digest(week: str) -> list[Path]:
    """Run ``tracker digest`` for ``week`` into a fresh digest folder; the files it wrote."""
    if DIGEST_DIR.exists():
        shutil.rmtree(DIGEST_DIR)
    DIGEST_DIR.mkdir(parents=True)
    command = [sys.executable, "-m", "tracker", "digest", "--week", week,
               "--repo", str(SITE), "--out", str(DIGEST_DIR)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"tracker digest failed:\n{result.stdout}{result.stderr}")
    return sorted(DIGEST_DIR.iterdir())


def replace_folder(source: Path, target: Path) -> None:
    """Make ``target`` an exact copy of ``source``: copied beside it, then renamed into place.
    Not the facts file nor the ledger's cache: they are keyed to a digest of the tracker code
    that wrote them, so the committed demo output would change with every change to the code,
    not only to outputs."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    fresh = staging / target.name
    if source.exists():
        shutil.copytree(source, fresh, ignore=shutil.ignore_patterns(checkpoint.FILE,
                                                                 ledgercache.FILE))
    else:
        fresh.mkdir()
    retired = staging / "retired"
    if target.exists():
        os.replace(target, retired)
    os.replace(fresh, target)
    shutil.rmtree(staging)


def count_table(title: str, counts: Counter[str], order: list[str]) -> list[str]:
    lines = [f"{title}:"]
    width = max((len(key) for key in order), default=0)
    lines += [f"  {key:<{width}}  {counts[key]:>4}" for key in order if counts[key]]
    return lines


def main() -> int:
    started = time.monotonic()
    print("tracker demo: a year of a free-LLM-API catalogue, from examples/catalogue\n")

    built = build_example.build(SITE)
    build_example.write_step_map(built, SITE.parent / "steps.json")
    first_parent = [c for c in built if c.step.branch == build_example.MAIN]
    print(f"  built {show(SITE)}: {len(built)} commits, "
          f"{built[0].step.date:%Y-%m-%d} … {built[-1].step.date:%Y-%m-%d}, "
          f"HEAD {first_parent[-1].sha[:10]}")

    progress = ProgressLine()
    walk_started = time.monotonic()
    result = update(SITE, progress=progress)
    progress.finish()
    walk_seconds = time.monotonic() - walk_started

    events = Ledger(load_config(SITE)).events()
    week = latest_week(events)
    digest_files = render_digest(week) if week else []
    for built_folder, project_folder in COPIED:
        replace_folder(SITE / built_folder, PROJECT / project_folder)

    pages = sorted(p for p in result.written if p.suffix == ".md")
    feeds = sorted((PROJECT / "feeds").rglob("*.*"))
    print(f"  walked {result.commits_walked} commits in {walk_seconds:.1f} s: "
          f"{len(events)} events, {len(result.warnings)} warnings\n")

    by_kind = Counter(event.kind for event in events)
    by_severity = Counter(event.severity for event in events)
    print("\n".join(count_table("Events by kind", by_kind, sorted(by_kind))))
    print("\n".join(count_table("Events by severity", by_severity, list(SEVERITIES))))

    if result.warnings:
        print("\nWarnings (the page did not parse; its last good version stayed in force):")
        for warning in result.warnings:
            commit = (warning.commit or "")[:10]
            print(f"  {(warning.date or '')[:10]} {commit} {warning}")

    print("\nOutputs:")
    print(f"  rewritten pages  {len(pages)} files in {show(SITE)} "
          "(changelog blocks, recent-updates block)")
    print(f"  ledger           {show(PROJECT / 'history')}/ (from {show(SITE / 'history')})")
    print(f"  feeds            {show(PROJECT / 'feeds')}/ ({len(feeds)} files: atom.xml, "
          "rss.xml, feed.json, breaking.*, providers/, services/, shutdowns.ics, feeds.opml)")
    charts = sorted((PROJECT / "charts").glob("*.svg"))
    print(f"  charts           {show(PROJECT / 'charts')}/ ({len(charts)} SVG files, from "
          f"{show(SITE / 'static/tracker/charts')})")
    if week:
        print(f"  weekly digest    {week}: " + ", ".join(show(p) for p in digest_files))

    print("\nHow to look at them:")
    print(f"  git -C {show(SITE)} diff --stat              # what tracker rewrote")
    print(f"  git -C {show(SITE)} diff services/api/groq/_index.md")
    print(f"  .venv/bin/tracker log --repo {show(SITE)} --kind quota_cut")
    print(f"  .venv/bin/tracker snapshot --repo {show(SITE)} --format json")
    if week:
        print(f"  less {show(DIGEST_DIR / (week + '.txt'))}")
    print(f"  less {show(PROJECT / 'feeds' / 'atom.xml')}")
    print(f"\nDone in {time.monotonic() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
