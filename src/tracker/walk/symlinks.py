"""Symlinked files: where every symlink of the tree points, and which links a change reaches.

In git a symlink is a blob of mode 120000 whose content is the target path, relative to the
link's folder. A symlinked page or record reads as the file it points to at that commit (one
catalogue keeps a provider's model as a link to another provider's file), following a link to a
link as the operating system does, up to MAX_LINKS links in a row. This module owns the path
arithmetic and the map target → links, walked back link by link, that lets a change of a target
or of any link on the way re-read every link whose chain passes through it; the snapshots do the
reading.
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


MAX_LINKS = 8  # links followed in a row before giving up: POSIX's least SYMLOOP_MAX


class LinkTable:
    """Every symlink in the tree in force, and for those whose content was read (the links a
    source wants, and the links their chains pass through) the path each points to."""

    def __init__(self) -> None:
        self.blobs: dict[str, str] = {}  # every symlink, read or not → its blob
        self.targets: dict[str, str] = {}  # link → the path it points to, for links read
        self.links_to: dict[str, set[str]] = {}  # path → the read links that point to it

    def __contains__(self, path: str) -> bool:
        return path in self.blobs

    def add(self, link: str, blob: str, content: bytes | None) -> None:
        """``link`` is a symlink holding ``blob`` now; ``content`` is the blob's bytes when they
        were read (a link a source wants), None to read them when a chain passes through it."""
        self.remove(link)
        self.blobs[link] = blob
        if content is not None:
            self._point(link, target_of(link, content))

    def _point(self, link: str, target: str) -> None:
        self.targets[link] = target
        self.links_to.setdefault(target, set()).add(link)

    def remove(self, link: str) -> None:
        self.blobs.pop(link, None)
        target = self.targets.pop(link, None)
        if target is not None:
            self.links_to[target].discard(link)
            if not self.links_to[target]:
                del self.links_to[target]

    def reaching(self, path: str) -> set[str]:
        """The read links whose chain passes through ``path``: those that point to it, those
        that point to them, and so on (a loop ends where it started)."""
        found: set[str] = set()
        todo = [path]
        while todo:
            for link in self.links_to.get(todo.pop(), ()):
                if link not in found:
                    found.add(link)
                    todo.append(link)
        return found

    def resolve(self, link: str, blob_at: Callable[[str], str | None],
                read: Callable[[str], bytes]) -> str:
        """The blob ``link`` reads as, following links to links; ``blob_at`` gives a path's
        blob at this commit (None when nothing is there), ``read`` the bytes of a link's blob
        not read yet. A ParseError saying why when it reads as nothing."""
        chain = [link]
        path = link
        while True:
            if path not in self.targets:  # a link on the way, read the first time a chain needs
                self._point(path, target_of(path, read(self.blobs[path])))
            path = self.targets[path]
            via = shown(" → ".join([*chain[1:], path]))
            if is_outside(path):
                raise ParseError(f"symlink to {via}, outside the repository: not followed")
            if path not in self.blobs:
                break
            if path in chain:
                raise ParseError(f"symlink to {via}, a loop of links: not followed")
            if len(chain) == MAX_LINKS:
                raise ParseError(f"symlink to {via}: more than {MAX_LINKS} links in a row, "
                                 "not followed")
            chain.append(path)
        blob = blob_at(path)
        if blob is None:
            raise ParseError(f"symlink to {via}, which is not a file at this commit")
        return blob
