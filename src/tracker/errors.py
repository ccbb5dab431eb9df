"""The tool's own error type: what a user can cause, said with the file, the line and what to do.

The CLI turns a TrackerError into exit status 1 and one clear message; anything else is a bug.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class TrackerError(Exception):
    """Bad data or configuration. ``str()`` gives ``path:line: message (hint)``."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


class ParseError(TrackerError):
    """A source file that does not parse at some commit. The walk warns and goes on."""


def closest(value: str, known: Iterable[str], n: int = 1, cutoff: float = 0.5,
            listed: str = "known") -> str:
    """A hint for a mistyped name: the ``n`` closest known ones, else every one there is (after
    ``listed``)."""
    names = sorted(known)
    near = difflib.get_close_matches(value, names, n=n, cutoff=cutoff)
    return f"did you mean {' or '.join(near)}?" if near else f"{listed}: " + ", ".join(names)
