"""Rendering: everything here reads events (from the ledger) and returns text; writers are apart.

``environment(config)`` is the one Jinja2 environment: the package's templates, overridable by a
site's ``templates_dir``. ``service_url`` is the one place a service page's address is made.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from tracker import i18n

if TYPE_CHECKING:
    import jinja2

    from tracker.config import Config


def environment(config: "Config | None" = None) -> "jinja2.Environment":
    """Templates from the site's templates_dir first, then the package; HTML autoescaped.

    One environment per template folder, so each template is compiled once per run."""
    site_templates = None
    if config is not None and config.templates_dir:
        site_templates = str(Path(config.root) / config.templates_dir)
    return _environment(site_templates)


@lru_cache(maxsize=8)
def _environment(site_templates: str | None) -> "jinja2.Environment":
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if site_templates:
        loaders.append(jinja2.FileSystemLoader(site_templates))
    loaders.append(jinja2.PackageLoader("tracker", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "xml", "html.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["i18n"] = i18n
    env.filters["summary"] = i18n.summarize
    env.filters["kind_label"] = i18n.kind_label
    return env


def service_url(config: "Config", service: str, lang: str) -> str:
    """The absolute address of a service page; English pages live under /en/ (Hugo's default)."""
    prefix = "" if lang == config.default_lang else f"/{lang}"
    return f"{config.site_url}{prefix}/services/api/{service}/"
