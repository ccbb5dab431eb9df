"""Rendering: everything here reads events (from the ledger) and returns text; tracker.writer
writes it (a page's marked block is rewritten in place by ``markers.apply``).

``environment(config)`` is the one Jinja2 environment: the package's templates, overridable by a
site's ``templates_dir``. Every address on the site (a service page's, a feed's, a chart's) is
tracker.site's; ``visible`` (tracker.text) is what every output keeps of a value.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import i18n
from tracker.errors import TrackerError
from tracker.text import visible as visible  # the one rule, under the renderers' name

if TYPE_CHECKING:
    import jinja2

    from tracker.config import Config


def environment(config: "Config | None" = None) -> "jinja2.Environment":
    """Templates from the site's templates_dir first, then the package; HTML autoescaped.

    One environment per template folder, so each template is compiled once per run. A site
    template that does not compile or render is a TrackerError naming its file and line."""
    site_templates = None
    if config is not None and config.templates_dir:
        site_templates = str(Path(config.root) / config.templates_dir)
    return _environment(site_templates, config.templates_dir if config is not None else None)


@lru_cache(maxsize=8)
def _environment(site_templates: str | None, shown: str | None = None) -> "jinja2.Environment":
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if site_templates:
        loaders.append(jinja2.FileSystemLoader(site_templates))
    loaders.append(jinja2.PackageLoader("tracker", "templates"))
    env = _site_environment_class()(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "xml", "html.j2", "svg.j2",
                                                                   "opml.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.site_templates = (site_templates, shown)  # type: ignore[attr-defined]
    env.globals["i18n"] = i18n
    env.filters["summary"] = i18n.summarize
    env.filters["kind_label"] = i18n.kind_label
    return env


def _site_error(env: "jinja2.Environment", exc: BaseException, filename: str | None,
                line: int | None) -> TrackerError | None:
    """The error of a site template as a TrackerError; None for a package template (a bug)."""
    folder, shown = getattr(env, "site_templates", (None, None))
    if not folder or not filename or not Path(filename).is_relative_to(folder):
        return None
    path = Path(shown or folder) / Path(filename).relative_to(folder)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if type(exc).__name__ in ("TemplateNotFound", "TemplatesNotFound"):
        message = f"it includes a template that does not exist: {message}"
    return TrackerError(f"template does not render: {message}", path=path.as_posix(), line=line,
                        hint="fix the template in templates_dir, or delete it to use the "
                             "built-in one")


@lru_cache(maxsize=1)
def _site_environment_class() -> type[jinja2.Environment]:
    import jinja2

    class SiteTemplate(jinja2.Template):
        def render(self, *args: Any, **kwargs: Any) -> str:
            try:
                return super().render(*args, **kwargs)
            except Exception as exc:
                line, tb = None, exc.__traceback__
                while tb is not None:  # Jinja rewrites frames to the template's own lines
                    if tb.tb_frame.f_code.co_filename == self.filename:
                        line = tb.tb_lineno
                    tb = tb.tb_next
                error = _site_error(self.environment, exc, self.filename, line)
                if error is None:
                    raise
                raise error from None

    class SiteEnvironment(jinja2.Environment):
        template_class = SiteTemplate

        def get_template(self, *args: Any, **kwargs: Any) -> jinja2.Template:
            try:
                return super().get_template(*args, **kwargs)
            except jinja2.TemplateSyntaxError as exc:
                error = _site_error(self, exc, exc.filename, exc.lineno)
                if error is None:
                    raise
                raise error from None

    return SiteEnvironment
