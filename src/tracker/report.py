"""What a run tells its user besides its output files: warnings, and under GitHub Actions the
annotations and the step summary.

Every warning the CLI prints goes through ``warn``: on a terminal it is ``warning: path:line:
message``; with ``GITHUB_ACTIONS=true`` it is a ``::warning file=…,line=…::`` workflow command,
so it shows on the commit and the pull request next to the line it is about.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from tracker import i18n
from tracker.model import Event


def under_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def warn(message: str, path: str | None = None, line: int | None = None,
         stream: TextIO | None = None) -> None:
    """Print one warning about ``path`` (relative to the repository) at ``line``, if known."""
    out = stream or sys.stderr
    if under_actions():
        props = []
        if path:
            props.append(f"file={_escape_property(path)}")
            if line:
                props.append(f"line={line}")
        head = "::warning " + ",".join(props) if props else "::warning"
        out.write(f"{head}::{_escape_data(message)}\n")
    else:
        where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
        out.write(f"warning: {where}{message}\n")
    out.flush()


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 commit``, ``2 commits``: the run summaries' English counts."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


class WarningPrinter:
    """``warn`` that counts what it printed, so a run's summary says as many warnings as the
    user saw (setup notices, skipped pages and stale pages included)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.count = 0
        self.stream = stream

    def __call__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.count += 1
        warn(message, path, line, self.stream)


def summary_markdown(events: Iterable[Event], commits_walked: int, lang: str = "en") -> str:
    """The Markdown a run appends to ``$GITHUB_STEP_SUMMARY``: a count, then one row per event."""
    shown = list(events)
    counts = i18n.text("step_counts", lang, commits=commits_walked,
                       commits_s="" if commits_walked == 1 else "s", events=len(shown),
                       events_s="" if len(shown) == 1 else "s")
    lines = ["### tracker update", "", counts, ""]
    if shown:
        lines += [i18n.text("step_columns", lang), "|---|---|---|---|---|"]
        for event in shown:
            cells = [event.moment.date().isoformat(), event.service, event.kind, event.severity,
                     i18n.summarize(event, lang)]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ")
                                           for c in cells) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def write_step_summary(markdown: str,
                       say: Callable[[str], None] = warn) -> Path | None:
    """Append ``markdown`` to the file GitHub Actions names in GITHUB_STEP_SUMMARY, if any;
    a file it cannot write is told to ``say``."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not under_actions() or not target:
        return None
    try:
        with open(target, "a", encoding="utf-8") as summary:
            summary.write(markdown)
    except OSError as error:  # the run itself succeeded: a summary it cannot write is a warning
        say(f"cannot write the step summary to GITHUB_STEP_SUMMARY={target}: "
             f"{error.strerror or error}")
        return None
    return Path(target)
