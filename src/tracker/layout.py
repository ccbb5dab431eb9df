"""Where the tracker keeps its own files in a repository: tracker.yaml and the ledger.

A repository is **a Hugo site's content** when the Hugo site the tracker sees (a Hugo
configuration it reads, or the values stated under ``hugo:`` in tracker.yaml) has its content at
the repository's root, or when there is no Hugo configuration here at all and service pages sit
at the root (``services/api/<slug>/_index.md``, not under ``content/``): the real site's layout,
whose Hugo project lives in another repository and mounts this one as its content.

Hugo publishes every file of its content that is not a page (Hugo 0.111 serves ``history/`` and
``tracker.yaml`` under ``/zh-cn/`` unless ``ignoreFiles`` says otherwise) and skips only names
starting with a dot. So in a content repository both live in ``.tracker/``
(``.tracker/tracker.yaml``, ``.tracker/history/``) whatever the Hugo configuration says; feeds
and charts, which must be published, stay where they are served. Anywhere else (a Hugo project
with a ``content/`` folder, this tool's own repository, a record tree) the ledger stays at
``history/`` and tracker.yaml at the top, as before.

The old layout (``history/`` and ``tracker.yaml`` at the top of a content repository) is still
read; ``update`` and ``render`` move it into ``.tracker/`` with one notice. Each move is one
rename (the config by a hard link then an unlink), the ledger first: a run killed between them
leaves a layout the next run reads and finishes moving, and nothing is ever deleted that is not
also at its new place.
"""

from __future__ import annotations

import os
from pathlib import Path

from tracker.config import CONFIG_FILE, PRIVATE_DIR, Config, config_file
from tracker.errors import TrackerError
from tracker.paths import any_matching
from tracker.site import site_of

OLD_LEDGER = "history"  # the default of history_dir, and where the old layout kept the ledger
HIDDEN_LEDGER = f"{PRIVATE_DIR}/history"
_LEDGER_FILES = ("state.yaml", "events", "overrides.yaml", "digests.yaml")


def pages_at_root(config: Config) -> bool:
    """Whether service pages sit at the repository's root (not under ``content/``)."""
    at_root = [p for p in config.pages if not p.startswith("content/")]
    return any_matching(Path(config.root), at_root)


def is_content_repository(config: Config) -> bool:
    """Whether the repository is a Hugo site's content (see the module docstring). Once
    ``.tracker/`` exists it is, whatever the pages are now: the last service page removed must
    not send the ledger back to ``history/``."""
    if (Path(config.root) / PRIVATE_DIR).is_dir():
        return True
    site = site_of(config)
    if site is not None:
        return site.content_dir == ""
    return pages_at_root(config)


def default_ledger(config: Config) -> bool:
    """history_dir left at its default (or written out as it by an older ``tracker init``)."""
    return config.history_dir.strip().strip("/") == OLD_LEDGER


def _holds_ledger(folder: Path) -> bool:
    return any((folder / name).exists() for name in _LEDGER_FILES)


def ledger_dir(config: Config) -> str:
    """The ledger's folder, relative to the repository: ``history_dir``, except that in a
    content repository its default is ``.tracker/history`` (an old ``history/`` not yet moved
    is read where it is)."""
    if not default_ledger(config) or not is_content_repository(config):
        return config.history_dir
    root = Path(config.root)
    if not (root / HIDDEN_LEDGER).is_dir() and _holds_ledger(root / OLD_LEDGER):
        return OLD_LEDGER
    return HIDDEN_LEDGER


def move_old_layout(config: Config) -> list[TrackerError]:
    """Move the old layout of a content repository into ``.tracker/``; the notices to print
    (one line when anything moved)."""
    if not is_content_repository(config):
        return []
    return move_into_private(Path(config.root), default_ledger(config))


def move_into_private(root: Path, ledger: bool = True) -> list[TrackerError]:
    """Move ``history/`` (when ``ledger``: history_dir is its default) and ``tracker.yaml`` of a
    content repository into ``.tracker/``; the notices to print."""
    moved: list[str] = []
    notices: list[TrackerError] = []
    try:
        if ledger and _holds_ledger(root / OLD_LEDGER):
            _move_ledger(root, moved, notices)
        if (root / CONFIG_FILE).is_file():
            _move_config(root, moved, notices)
    except FileNotFoundError:
        pass  # another run moved it meanwhile: each file is at its new place
    except OSError as error:
        what = os.path.relpath(error.filename, root) if error.filename else "the ledger"
        raise TrackerError(f"cannot move {what} into {PRIVATE_DIR}/: "
                           f"{error.strerror or error}", hint="check the folder's permissions; "
                           "nothing was lost: each file is at its old place or its new one") \
            from None
    if moved:
        notices.insert(0, TrackerError(
            "moved " + " and ".join(moved) + ", where Hugo never publishes them",
            hint="commit the move"))
    return notices


def _move_ledger(root: Path, moved: list[str], notices: list[TrackerError]) -> None:
    old, new = root / OLD_LEDGER, root / HIDDEN_LEDGER
    if new.exists():
        notices.append(TrackerError(
            f"both {OLD_LEDGER}/ and {HIDDEN_LEDGER}/ hold a ledger; {HIDDEN_LEDGER}/ is read",
            path=f"{OLD_LEDGER}/", hint=f"remove {OLD_LEDGER}/ once nothing in it is missing "
                                        f"from {HIDDEN_LEDGER}/: Hugo publishes it"))
        return
    new.parent.mkdir(exist_ok=True)
    os.rename(old, new)  # one rename: the whole ledger is at one place or the other
    moved.append(f"{OLD_LEDGER}/ → {HIDDEN_LEDGER}/")


def _move_config(root: Path, moved: list[str], notices: list[TrackerError]) -> None:
    old, new = root / CONFIG_FILE, root / PRIVATE_DIR / CONFIG_FILE
    if not new.exists():
        new.parent.mkdir(exist_ok=True)
        try:
            os.link(old, new)  # fails rather than replace a file there; the old name goes next
        except FileExistsError:
            pass
        except PermissionError:
            raise
        except OSError:  # a file system without hard links
            os.rename(old, new)
        moved.append(f"{CONFIG_FILE} → {PRIVATE_DIR}/{CONFIG_FILE}")
    if not old.is_file():
        return
    if old.read_bytes() == new.read_bytes():
        old.unlink()  # the same bytes are at the new place (a move finished, or was killed)
    else:
        notices.append(TrackerError(
            f"both {CONFIG_FILE} and {PRIVATE_DIR}/{CONFIG_FILE} exist; "
            f"{PRIVATE_DIR}/{CONFIG_FILE} is read", path=CONFIG_FILE,
            hint=f"merge what you need into {PRIVATE_DIR}/{CONFIG_FILE} and remove "
                 f"{CONFIG_FILE}: Hugo publishes it"))


def init_notice(config: Config) -> TrackerError | None:
    """A content repository with no tracker.yaml and no Hugo configuration to read: links and
    charts cannot follow the site's languages (the real site serves /zh-cn/) until
    ``tracker init`` records them."""
    root = Path(config.root)
    if (root / config_file(root)).is_file() or site_of(config) is not None \
            or not pages_at_root(config):
        return None
    return TrackerError(
        "no tracker.yaml: this repository looks like a Hugo site's content, and links and "
        "charts cannot follow the site's languages (e.g. /zh-cn/) until tracker init is run",
        hint="run tracker init --hugo-config <path to the site's hugo.yaml> from a checkout "
             "of the Hugo project beside this one, and commit what it writes")


def private_notices(config: Config) -> list[TrackerError]:
    """Before a run writes anything: the old layout of a content repository moved where Hugo
    never publishes it, and the one warning a content repository without tracker.yaml gets."""
    notice = init_notice(config)
    return move_old_layout(config) + ([notice] if notice else [])
