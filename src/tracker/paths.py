"""What a path in the site is: the one glob dialect every configured pattern is read in (walking,
rendering, ``check``, updates files), and which files are service pages, with their service id
and language (``page_lang``: the one its name states; ``written_lang``: the one the tracker
writes into it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath

from tracker.errors import ParseError
from tracker.model import LANGS

# _index.md, _index.en.md, index.md (a leaf bundle); the suffix is the page's language
_INDEX_NAME = re.compile(r"^_?index(?:\.([A-Za-z][A-Za-z_-]*))?\.md$", re.IGNORECASE)
_LANG = re.compile(r"[A-Za-z][A-Za-z_-]*")
_GLOB_CHARS = re.compile(r"[*?{\[]")


def glob_regex(pattern: str) -> str:
    """A path glob as a regex: ``*`` stays within one folder, ``**`` crosses folders,
    ``{a,b}`` is either."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "{":  # {yaml,yml}
            close = pattern.find("}", i)
            if close > i:
                out.append("(?:" + "|".join(map(re.escape, pattern[i + 1:close].split(","))) + ")")
                i = close + 1
                continue
            out.append(re.escape(char))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@lru_cache(maxsize=64)
def glob_matcher(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex matching a whole relative path that any of ``patterns`` matches."""
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{glob_regex(p)})" for p in patterns) + r"\Z")


def matching_files(root: Path, patterns: list[str]) -> list[Path]:
    """Files under ``root`` matching any glob, relative to it, sorted, each once. Only the
    folders the patterns can reach are walked (from each one's fixed leading folders, no deeper
    than their folders go), and never .git."""
    return [Path(p) for p in sorted(set(_walk_matching(Path(root), patterns)))]


def any_matching(root: Path, patterns: list[str]) -> bool:
    """Whether some file under ``root`` matches a glob: the walk stops at the first."""
    return next(_walk_matching(Path(root), patterns), None) is not None


def _walk_matching(root: Path, patterns: list[str]) -> Iterator[str]:
    """The relative paths (``/``-separated) of the files matching, in walking order, possibly
    twice. A glob without ``**`` names files at most as many folders deep as it has ``/`` (a
    choice in braces, ``{a,b/c}``, is no deeper than all its slashes): below the deepest of
    them no folder is entered (a site's pages are a folder each: ``services/api/_index*.md``
    need not open the 400 of them)."""
    matcher = glob_matcher(tuple(patterns))
    deepest = None if any("**" in p for p in patterns) \
        else max((p.count("/") for p in patterns), default=0)
    for base in sorted({_fixed_folder(p) for p in patterns}):
        top = os.fspath(root / base if base else root)
        for folder, subfolders, files in os.walk(top):  # folders are top + what lies below
            below = folder[len(top):].replace(os.sep, "/").strip("/")
            relative = f"{base}/{below}".strip("/")
            prefix = relative + "/" if relative else ""
            if deepest is not None and (relative.count("/") + 1 if relative else 0) >= deepest:
                subfolders[:] = []  # the files in there lie deeper than any glob reaches
            else:
                subfolders[:] = sorted(d for d in subfolders if d != ".git")
            yield from (prefix + name for name in files if matcher.match(prefix + name))


def _fixed_folder(pattern: str) -> str:
    """The folders a glob starts with before its first wildcard: ``services/api`` of
    ``services/api/*/_index*.md``."""
    parts = pattern.split("/")[:-1]
    fixed = []
    for part in parts:
        if _GLOB_CHARS.search(part) or part in ("", ".", ".."):
            break
        fixed.append(part)
    return "/".join(fixed)


def page_lang(path: str | PurePosixPath | Path, default: str) -> str:
    """The language a page (or updates file) is written in, from its name: ``_index.en.md`` and
    ``acme.en.md`` → "en"; a name without a language suffix is in the site's default."""
    name = PurePosixPath(str(path).replace("\\", "/")).name
    stem = name[:-3] if name.lower().endswith(".md") else name
    _, dot, suffix = stem.rpartition(".")
    return suffix.lower() if dot and _LANG.fullmatch(suffix) else default


def is_service_page(path: str | PurePosixPath | Path) -> bool:
    """A page bundle's index (``<slug>/_index.md``), as opposed to a loose ``<slug>.md``."""
    return _INDEX_NAME.match(PurePosixPath(str(path).replace("\\", "/")).name) is not None


def page_identity(path: str, default_lang: str = "zh") -> tuple[str, str]:
    """(service id, language) of a page path: the folder slug and the `_index.<lang>.md` suffix."""
    pure = PurePosixPath(path.replace("\\", "/"))
    match = _INDEX_NAME.match(pure.name)
    slug = pure.parent.name if match else pure.name.removesuffix(".md").partition(".")[0]
    if not slug or slug in (".", ".."):
        raise ParseError("cannot tell the service id from the path", path=path,
                         hint="pages live at services/api/<slug>/_index.md")
    return slug, page_lang(pure, default_lang)


def written_lang(path: str | PurePosixPath | Path, default: str) -> str:
    """The language the tracker writes into a page or updates file: the one its name states
    (``page_lang``) when the tracker has words in it (``model.LANGS``), else the site's default."""
    lang = page_lang(path, default)
    return lang if lang in LANGS else default


def service_pages(root: Path, patterns: list[str], default_lang: str
                  ) -> list[tuple[Path, str, str]]:
    """(relative path, service id, written language) of every service page under ``root`` the
    ``patterns`` (tracker.yaml's ``pages``) find."""
    pages = []
    for relative in matching_files(Path(root), patterns):
        if is_service_page(relative):
            service, _ = page_identity(relative.as_posix(), default_lang)
            pages.append((relative, service, written_lang(relative, default_lang)))
    return pages
