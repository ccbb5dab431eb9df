"""The caches kept in ``.git/tracker-cache`` (never committed, never checked out): where they
live, what each is keyed on, and reading and writing them so that a bad one only costs time.

Every key includes ``code_digest()``, a digest of this package's own source files. A version
number would not do: it stays the same across installs from git, and after an upgrade whose
parser reads a page differently, facts parsed by the old code would be diffed against facts
parsed by the new, telling changes that never happened.
"""

from __future__ import annotations

import hashlib
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any

from tracker.fsutil import write_atomic

CACHE_DIR = "tracker-cache"
PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of every .py file of the running tracker package (names and bytes): what
    produced a cached value. Computed once per process; reading the files takes a millisecond."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_dir(root: Path) -> Path | None:
    """Where ``root``'s caches live; None when it has no .git folder to keep them in."""
    git_dir = Path(root) / ".git"
    return git_dir / CACHE_DIR if git_dir.is_dir() else None


def load(path: Path, key: tuple[str, ...]) -> Any | None:
    """The value saved at ``path`` for ``key`` (which gets the code digest added); None when
    there is none, it was saved for another key, or the file is not a cache at all."""
    try:
        with open(path, "rb") as handle:
            saved_key, value = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            ImportError, IndexError, KeyError):
        return None
    return value if saved_key == (code_digest(), *key) else None


def save(path: Path, key: tuple[str, ...], value: Any) -> None:
    """Keep ``value`` for ``key``; a cache that cannot be written only costs time."""
    data = ((code_digest(), *key), value)
    try:
        write_atomic(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL), durable=False)
    except OSError:
        pass
