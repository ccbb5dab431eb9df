"""Symlinked files: where every symlink of the tree points, and which links a change reaches.

In git a symlink is a blob of mode 120000 whose content is the target path, relative to the
link's folder. A symlinked page or record reads as the file it points to at that commit (one
catalogue keeps a provider's model as a link to another provider's file). This module owns the
path arithmetic and the map target → links that lets a change of a target re-read its links;
tracker.snapshots does the reading.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from tracker.errors import ParseError


def target_of(link: str, content: bytes) -> str:
    """The path ``link`` points to, resolved against the link's folder and normalized; it
    starts with ``/`` or ``..`` when it leaves the repository."""
    text = content.decode("utf-8", "surrogateescape").strip("\n")
    if text.startswith("/"):
        return text
    return posixpath.normpath(posixpath.join(posixpath.dirname(link), text))


def shown(target: str) -> str:
    """``target`` as a message can hold it: bytes that are not UTF-8 as ``\\xNN`` escapes."""
    return target.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def is_outside(target: str) -> bool:
    return target.startswith("/") or target == ".." or target.startswith("../") \
        or target == "."


class LinkTable:
    """Every symlink in the tree in force, and for those whose content was read (the links a
    source wants) the path each points to."""

    def __init__(self) -> None:
        self.paths: set[str] = set()  # every symlink, read or not: a link to one is a chain
        self.targets: dict[str, str] = {}  # link → the path it points to, for links read
        self.links_to: dict[str, set[str]] = {}  # path → the read links that point to it

    def __contains__(self, path: str) -> bool:
        return path in self.paths

    def add(self, link: str, content: bytes | None) -> None:
        """``link`` is a symlink now; ``content`` is its blob, None when nothing wants it."""
        self.remove(link)
        self.paths.add(link)
        if content is not None:
            target = self.targets[link] = target_of(link, content)
            self.links_to.setdefault(target, set()).add(link)

    def remove(self, link: str) -> None:
        self.paths.discard(link)
        target = self.targets.pop(link, None)
        if target is not None:
            self.links_to[target].discard(link)
            if not self.links_to[target]:
                del self.links_to[target]

    def reaching(self, path: str) -> set[str]:
        """The read links that point to ``path``."""
        return set(self.links_to.get(path, ()))

    def resolve(self, link: str, blob_at: Callable[[str], str | None]) -> str:
        """The blob ``link`` reads as, given ``blob_at`` (path → its regular file's blob, None
        when there is none); a ParseError saying why when it reads as nothing."""
        target = self.targets[link]
        if is_outside(target):
            raise ParseError(f"symlink to {shown(target)}, outside the repository: not followed")
        if target in self.paths:
            raise ParseError(f"symlink to {shown(target)}, itself a symlink: chains of links are "
                             "not followed")
        blob = blob_at(target)
        if blob is None:
            raise ParseError(f"symlink to {shown(target)}, which is not a file at this commit")
        return blob
