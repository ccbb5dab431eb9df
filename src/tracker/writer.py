"""Writing what the renderers built: feeds, charts and the digest's files reach the disk here
and nowhere else in rendering (a page's marked block is rewritten in place by
``render.markers.apply``). Each file is written atomically and only when its bytes change, so a
render that changes nothing touches nothing; a removal takes only what the tracker owns.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from tracker.config import Config
from tracker.fsutil import write_atomic
from tracker.render.feeds import OWNED_DIRS, OWNED_SUFFIXES

if TYPE_CHECKING:  # the digest and the mail: only tracker digest writes them
    from email.message import EmailMessage

    from tracker.render.digest import Digest


def write_feeds(config: Config, feeds: dict[str, bytes], dry_run: bool = False,
                prune: bool = True) -> list[Path]:
    """Write ``feeds`` under ``config.root / config.feeds.dir``; remove our stale feeds.

    Only *.atom, *.rss and *.json files under providers/ and services/ are ours to remove (a
    service or provider with no events left), and only with ``prune`` (a full build). Returns
    the paths that changed (or would, with ``dry_run``), sorted; unchanged files are not
    touched.
    """
    base = Path(config.root) / config.feeds.dir
    changed: list[Path] = []
    for rel in sorted(feeds):
        parts = PurePosixPath(rel)
        if parts.is_absolute() or ".." in parts.parts:
            raise ValueError(f"feed path {rel!r} leaves the feeds folder")
        target = base.joinpath(*parts.parts)
        if dry_run:
            try:
                same = target.read_bytes() == feeds[rel]
            except OSError:
                same = False
            if not same:
                changed.append(target)
        elif write_atomic(target, feeds[rel], durable=False):  # `tracker render` rebuilds it
            changed.append(target)
    for folder in OWNED_DIRS if prune else ():
        directory = base / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            rel = f"{folder}/{path.name}"
            if path.is_file() and path.suffix in OWNED_SUFFIXES and rel not in feeds:
                if not dry_run:
                    path.unlink()
                changed.append(path)
    return sorted(changed)


def write_charts(config: Config, charts: dict[str, str], dry_run: bool = False,
                 owned: set[str] | None = None) -> list[Path]:
    """Write ``charts`` into ``charts.dir``; remove the ``owned`` files (ours, see
    ``owned_names``) that ``charts`` no longer holds. Nothing else in the folder is touched.
    Returns the paths that changed (or would, with ``dry_run``), sorted."""
    base = Path(config.root) / config.charts.dir
    changed: list[Path] = []
    for name, svg in sorted(charts.items()):
        target, data = base / name, svg.encode("utf-8")
        if dry_run:
            if not target.is_file() or target.read_bytes() != data:
                changed.append(target)
        elif write_atomic(target, data, durable=False):  # `tracker render` rebuilds it
            changed.append(target)
    for name in sorted((owned or set()) - set(charts)):
        path = base / name
        if path.is_file():
            if not dry_run:
                path.unlink()
            changed.append(path)
    return sorted(changed)


def write_digest(digest: Digest, message: EmailMessage, out_dir: Path) -> list[Path]:
    """``<key>.html``, ``<key>.txt`` and ``<key>.eml`` in ``out_dir``, each written atomically."""
    out_dir = Path(out_dir)
    files = [
        (out_dir / f"{digest.key}.html", digest.html.encode("utf-8")),
        (out_dir / f"{digest.key}.txt", digest.text.encode("utf-8")),
        (out_dir / f"{digest.key}.eml", message.as_bytes()),
    ]
    for path, data in files:
        write_atomic(path, data)
    return [path for path, _ in files]
