"""``tracker init``: a commented tracker.yaml and the two GitHub Actions workflows for a site repo.

tracker.yaml is generated from ``config.reference()`` — every key, its doc and its default — so the
file written can never name a key the loader does not know. The workflows run ``tracker update``
on every push and ``tracker digest --send`` weekly, each committing its outputs back with the
``Tracker: skip`` trailer so the walk never sees the tracker's own commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from tracker.config import CONFIG_FILE, Config, reference
from tracker.errors import TrackerError
from tracker.fsutil import write_atomic
from tracker.render import environment

WORKFLOWS_DIR = Path(".github") / "workflows"
UPDATE_WORKFLOW = WORKFLOWS_DIR / "tracker.yml"
DIGEST_WORKFLOW = WORKFLOWS_DIR / "tracker-digest.yml"
DEFAULT_BRANCH = "main"


@dataclass(frozen=True)
class _Row:
    name: str
    doc: str
    yaml: str  # "name: value" in block style, as it appears in the file
    flow: str  # the value alone in flow style, for one-line comments


def _dump(name: str, value: Any) -> _Row:
    block = yaml.safe_dump({name: value}, allow_unicode=True, default_flow_style=False,
                           sort_keys=False, width=100).rstrip("\n")
    flow = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True,
                          width=1000).rstrip("\n")
    flow = flow.removesuffix("\n...").strip()  # a bare scalar document ends with '...'
    return _Row(name, "", block, flow)


def render_config() -> str:
    """The commented tracker.yaml: every key of ``reference()`` with its doc and default."""
    entries: list[dict[str, Any]] = []
    sections: dict[str, dict[str, Any]] = {}
    record_rows: list[_Row] = []
    for key, doc, default in reference():
        if key.startswith("records[]."):
            row = _dump(key.removeprefix("records[]."), default)
            record_rows.append(_Row(row.name, doc, row.yaml, row.flow))
        elif "." in key:
            section, name = key.split(".", 1)
            if section not in sections:
                sections[section] = {"name": section, "rows": []}
                entries.append(sections[section])
            row = _dump(name, default)
            sections[section]["rows"].append(_Row(name, doc, row.yaml, row.flow))
        else:
            row = _dump(key, default)
            entries.append({"name": key, "doc": doc, "yaml": row.yaml})
    template = environment(None).get_template("init/tracker.yaml.j2")
    return template.render(entries=entries, record_rows=record_rows)


def current_branch(root: Path) -> str:
    """The branch ``root``'s checkout is on (read from .git/HEAD); 'main' when it cannot tell."""
    head = root / ".git" / "HEAD"
    try:
        text = head.read_text(encoding="utf-8").strip()
    except OSError:  # no repository yet, or a worktree whose .git is a file
        return DEFAULT_BRANCH
    prefix = "ref: refs/heads/"
    return text[len(prefix):] if text.startswith(prefix) else DEFAULT_BRANCH


def default_install() -> str:
    """What the workflows pip-install: this tracker's own version, so CI runs what was tested."""
    try:
        return f"tracker=={metadata.version('tracker')}"
    except metadata.PackageNotFoundError:
        return "tracker"


def render_workflows(branch: str, install: str) -> dict[Path, str]:
    """The two workflow files, by their path inside the site repository."""
    env = environment(None)
    context = {"branch": branch, "install": install, "history_dir": Config().history_dir}
    return {
        UPDATE_WORKFLOW: env.get_template("init/tracker.yml.j2").render(context),
        DIGEST_WORKFLOW: env.get_template("init/tracker-digest.yml.j2").render(context),
    }


def init_site(root: Path, force: bool = False, *, branch: str | None = None,
              install: str | None = None) -> list[Path]:
    """Write tracker.yaml and the workflows into ``root``; returns the paths written.

    Nothing is written when any of the files exists, unless ``force``: a half-initialised site
    would be harder to reason about than a refusal naming what is in the way.
    """
    root = Path(root)
    files: dict[Path, str] = {Path(CONFIG_FILE): render_config()}
    files.update(render_workflows(branch or current_branch(root), install or default_install()))
    existing = [rel for rel in files if (root / rel).exists()]
    if existing and not force:
        names = ", ".join(rel.as_posix() for rel in existing)
        raise TrackerError(f"{names} already exist{'s' if len(existing) == 1 else ''}",
                           path=existing[0].as_posix(),
                           hint="move it aside, or use --force to overwrite")
    written = []
    for rel, content in files.items():
        write_atomic(root / rel, content.encode("utf-8"))
        written.append(root / rel)
    return written
