"""The Hugo site around the repository: its configuration (``HugoSite``: base URL, languages and
their prefixes, content folder), from which tracker.site makes every address, so every link the
tracker writes resolves on the built site.

Read once per loaded configuration from ``hugo.{yaml,yml,toml,json}``, ``config.{…}`` or
``config/_default/`` at the repository root (or where ``hugo_config`` in tracker.yaml points):
``baseURL``, ``defaultContentLanguage``, ``defaultContentLanguageInSubdir``, ``languages``,
``contentDir`` and a module mount of the content. A repository that is only the content of a
site (its Hugo project lives elsewhere, as the real site's does) states those values under
``hugo:`` in tracker.yaml instead; stated values override read ones, and both give the same
HugoSite through one function. Neither: None, and the links are what they always were
(``site_url``, the default language at the root, others under ``/<lang>/``).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tracker.config import HugoConfig, config_file
from tracker.errors import TrackerError
from tracker.report import warn

CONFIG_NAMES = ("hugo", "config")
CONFIG_SUFFIXES = (".yaml", ".yml", ".toml", ".json")


@dataclass(frozen=True)
class HugoSite:
    base_url: str | None  # without a trailing slash
    default_language: str  # Hugo's language key, e.g. "zh-cn"
    in_subdir: bool  # defaultContentLanguageInSubdir
    languages: tuple[str, ...]
    content_dir: str | None  # relative to the repository ("" when it is the root); None outside
    config_path: str  # the file (or folder) it was read from, relative to the repository
    site_dir: Path | None  # the Hugo project's folder (layouts/, static/); None: only stated

    def language_key(self, lang: str, default_lang: str) -> str:
        """Hugo's key for one of the tracker's languages (``zh`` → ``zh-cn`` on the real site)."""
        if lang == default_lang:
            return self.default_language
        for key in self.languages:
            if key.lower() == lang or key.lower().startswith(lang + "-"):
                return key
        return lang

    def prefix(self, key: str) -> str:
        """The path every page of language ``key`` lives under: "" or "/<key>"."""
        if key == self.default_language and not self.in_subdir:
            return ""
        return "/" + key.lower()


def _read_file(path: Path, root: Path) -> dict[str, Any]:
    shown = os.path.relpath(path, root).replace(os.sep, "/")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TrackerError("the Hugo configuration is not UTF-8 text "
                           f"(byte 0x{raw[exc.start]:02x})",
                           path=shown, line=raw.count(b"\n", 0, exc.start) + 1,
                           hint="save it as UTF-8, as hugo reads it") from None
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # any parser's error: the site's own file is not ours to judge
        raise TrackerError(f"cannot read the Hugo configuration: {exc}".splitlines()[0],
                           path=shown, line=_error_line(exc),
                           hint="fix it so hugo builds, or set hugo_config in tracker.yaml") \
            from None
    return data if isinstance(data, dict) else {}


def _error_line(exc: Exception) -> int | None:
    """The 1-based line a TOML, JSON or YAML parser's error names, when it names one."""
    if isinstance(exc, json.JSONDecodeError):
        return exc.lineno
    mark = getattr(exc, "problem_mark", None)  # yaml.MarkedYAMLError
    if mark is not None:
        return int(mark.line) + 1
    found = re.search(r"at line (\d+)", str(exc))  # tomllib: "... (at line 3, column 1)"
    return int(found.group(1)) if found else None


def _find(root: Path, named: str | None, stated: bool = False
          ) -> tuple[Path, dict[str, Any]] | None:
    """The Hugo configuration: a named file or folder, else the first one at ``root``. A named
    one that is absent is an error, unless tracker.yaml states the values itself (CI checks out
    the content alone): then a warning."""
    if named:
        target = root / named
        if target.is_file():
            return target, _read_file(target, root)
        if not target.is_dir():
            shown = config_file(root)
        if not target.is_dir() and stated:
            warn(f"'hugo_config' names {named!r}, which does not exist: using the values under "
                 "'hugo:' alone", path=shown)
            return None
        if not target.is_dir():
            raise TrackerError(f"'hugo_config' names {named!r}, which does not exist",
                               path=shown, hint="name hugo.yaml, or config/_default")
        folder = target
    else:
        for name in CONFIG_NAMES:
            for suffix in CONFIG_SUFFIXES:
                if (root / (name + suffix)).is_file():
                    return root / (name + suffix), _read_file(root / (name + suffix), root)
        folder = root / "config" / "_default"
        if not folder.is_dir():
            return None
    merged: dict[str, Any] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in CONFIG_SUFFIXES or not path.is_file():
            continue
        data = _read_file(path, root)
        if path.stem in CONFIG_NAMES:
            merged.update(data)
        else:  # languages.yaml holds the value of the 'languages' key, and so on
            merged[path.stem] = data
    return folder, merged


def _key(data: dict[str, Any], name: str) -> Any:
    """Hugo's keys are case-insensitive."""
    return next((v for k, v in data.items() if str(k).lower() == name.lower()), None)


def _content_dir(root: Path, site_dir: Path, data: dict[str, Any], shown: str) -> str | None:
    source = _key(data, "contentDir") or "content"
    module = _key(data, "module")
    if isinstance(module, dict):
        mounts = _key(module, "mounts") or []
        if not isinstance(mounts, list):
            raise TrackerError(f"'module.mounts' must be a list of mounts, not {mounts!r}",
                               path=shown, hint="e.g. mounts: [{source: content, target: "
                                                "content}], as hugo reads it")
        for mount in mounts:
            if isinstance(mount, dict) and mount.get("target") == "content" and mount.get("source"):
                source = mount["source"]
                break
    try:
        relative = (site_dir / str(source)).resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return "" if str(relative) == "." else relative.as_posix()


STATED_KEYS = ("baseURL", "defaultContentLanguage", "defaultContentLanguageInSubdir",
               "languages")


def read_hugo_site(root: Path, named: str | None = None,
                   stated: HugoConfig | None = None) -> HugoSite | None:
    """The Hugo site at ``root`` (see the module docstring), or None when there is none.
    ``stated``: the ``hugo:`` values of tracker.yaml, overriding the read configuration's."""
    root = Path(root)
    stated = stated if stated is not None and stated.stated() else None
    found = _find(root, named, stated is not None)
    if found is None and stated is None:
        return None
    data: dict[str, Any] = {}
    site_dir: Path | None = None
    shown = "tracker.yaml"
    if found is not None:
        path, read = found
        site_dir = path.parent if path.is_file() else path.parent.parent  # config/_default
        shown = os.path.relpath(path, root).replace(os.sep, "/")
        overridden = {name.lower() for name in STATED_KEYS
                      if stated is not None and getattr(stated, name) is not None}
        data = {k: v for k, v in read.items() if str(k).lower() not in overridden}
    if stated is not None:
        data.update({name: getattr(stated, name) for name in STATED_KEYS
                     if getattr(stated, name) is not None})
    if stated is not None and stated.contentDir is not None:
        content_dir: str | None = _clean_dir(stated.contentDir)
    elif site_dir is not None:
        content_dir = _content_dir(root, site_dir, data, shown)
    else:
        content_dir = ""  # only stated: the repository is the content
    return _site(data, content_dir, shown, site_dir)


def _site(data: dict[str, Any], content_dir: str | None, shown: str,
          site_dir: Path | None) -> HugoSite:
    """The one way Hugo's values (read, stated, or both) become a HugoSite."""
    base = _key(data, "baseURL")
    languages = _key(data, "languages")
    if isinstance(languages, list):  # tracker.yaml may list the keys alone
        languages = {str(key): {} for key in languages}
    keys = tuple(str(k) for k in languages) if isinstance(languages, dict) else ()
    default = str(_key(data, "defaultContentLanguage") or (keys[0] if keys else "en"))
    in_subdir = bool(_key(data, "defaultContentLanguageInSubdir"))
    base_url = str(base).rstrip("/") if isinstance(base, str) and base.startswith("http") \
        else None
    return HugoSite(base_url, default, in_subdir, keys or (default,), content_dir, shown,
                    site_dir)


def _clean_dir(folder: str) -> str:
    """A folder of the repository as HugoSite keeps it: '' for the root, no './' or '/'."""
    parts = [p for p in PurePosixPath(folder.strip()).parts if p not in (".", "")]
    return "/".join(parts)
