"""The Hugo site around the repository: its configuration, and the addresses Hugo gives pages
and files, so every link the tracker writes resolves on the built site.

Read once per loaded configuration from ``hugo.{yaml,yml,toml,json}``, ``config.{…}`` or
``config/_default/`` at the repository root (or where ``hugo_config`` in tracker.yaml points):
``baseURL``, ``defaultContentLanguage``, ``defaultContentLanguageInSubdir``, ``languages``,
``contentDir`` and a module mount of the content. No Hugo configuration: None, and the links are
what they always were (``site_url``, the default language at the root, others under ``/<lang>/``).
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from tracker.errors import TrackerError

if TYPE_CHECKING:
    from tracker.config import Config

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
    site_dir: Path  # the Hugo project's folder (layouts/, static/ live there)

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


def _read_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
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
                           path=path.name, hint="fix it so hugo builds, or set hugo_config "
                                                "in tracker.yaml") from None
    return data if isinstance(data, dict) else {}


def _find(root: Path, named: str | None) -> tuple[Path, dict[str, Any]] | None:
    """The Hugo configuration: a named file or folder, else the first one at ``root``."""
    if named:
        target = root / named
        if target.is_file():
            return target, _read_file(target)
        if not target.is_dir():
            raise TrackerError(f"'hugo_config' names {named!r}, which does not exist",
                               path="tracker.yaml", hint="name hugo.yaml, or config/_default")
        folder = target
    else:
        for name in CONFIG_NAMES:
            for suffix in CONFIG_SUFFIXES:
                if (root / (name + suffix)).is_file():
                    return root / (name + suffix), _read_file(root / (name + suffix))
        folder = root / "config" / "_default"
        if not folder.is_dir():
            return None
    merged: dict[str, Any] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in CONFIG_SUFFIXES or not path.is_file():
            continue
        data = _read_file(path)
        if path.stem in CONFIG_NAMES:
            merged.update(data)
        else:  # languages.yaml holds the value of the 'languages' key, and so on
            merged[path.stem] = data
    return folder, merged


def _key(data: dict[str, Any], name: str) -> Any:
    """Hugo's keys are case-insensitive."""
    return next((v for k, v in data.items() if str(k).lower() == name.lower()), None)


def _content_dir(root: Path, site_dir: Path, data: dict[str, Any]) -> str | None:
    source = _key(data, "contentDir") or "content"
    module = _key(data, "module")
    if isinstance(module, dict):
        for mount in _key(module, "mounts") or []:
            if isinstance(mount, dict) and mount.get("target") == "content" and mount.get("source"):
                source = mount["source"]
                break
    try:
        relative = (site_dir / str(source)).resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return "" if str(relative) == "." else relative.as_posix()


def read_hugo_site(root: Path, named: str | None = None) -> HugoSite | None:
    """The Hugo site at ``root`` (see the module docstring), or None when there is none."""
    found = _find(Path(root), named)
    if found is None:
        return None
    path, data = found
    site_dir = path.parent if path.is_file() else path.parent.parent  # config/_default → site
    base = _key(data, "baseURL")
    languages = _key(data, "languages")
    keys = tuple(str(k) for k in languages) if isinstance(languages, dict) else ()
    default = str(_key(data, "defaultContentLanguage") or (keys[0] if keys else "en"))
    in_subdir = bool(_key(data, "defaultContentLanguageInSubdir"))
    base_url = str(base).rstrip("/") if isinstance(base, str) and base.startswith("http") \
        else None
    shown = os.path.relpath(path, root).replace(os.sep, "/")
    return HugoSite(base_url, default, in_subdir, keys or (default,),
                    _content_dir(Path(root), site_dir, data), shown, site_dir)


def site_of(config: Config) -> HugoSite | None:
    """The Hugo site of a loaded configuration, read once."""
    if config.hugo is None:
        config.hugo = read_hugo_site(Path(config.root), config.hugo_config) or False
    return config.hugo or None


def published_path(config: Config, relative: str) -> str | None:
    """The site path a repository file is served at, or None when Hugo does not publish it:
    ``static/x`` → ``/x``; ``<content>/x`` → ``<default-language prefix>/x``."""
    site = site_of(config)
    if site is None:
        return None
    path = PurePosixPath(relative)
    static = Path(os.path.relpath(site.site_dir / "static", config.root)).as_posix()
    try:
        return "/" + path.relative_to(PurePosixPath(static)).as_posix()
    except ValueError:
        pass
    if site.content_dir is not None:
        content = PurePosixPath(site.content_dir) if site.content_dir else PurePosixPath()
        try:
            inside = path.relative_to(content)
        except ValueError:
            return None
        return site.prefix(site.default_language) + "/" + inside.as_posix()
    return None


def page_exists(config: Config, service: str, lang: str) -> bool:
    """Whether ``service`` has a page in ``lang`` (read once per configuration)."""
    if config.page_langs is None:
        from tracker.render.changelog import service_pages

        found: dict[str, set[str]] = {}
        for _relative, slug, page_lang in service_pages(config):
            found.setdefault(page_lang, set()).add(slug)
        config.page_langs = found
    return service in config.page_langs.get(lang, set())
