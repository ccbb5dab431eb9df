"""``tracker init``: a commented tracker.yaml and the two GitHub Actions workflows for a site repo.

tracker.yaml is generated from ``config.reference()`` — every key, its doc and its default — so the
file written can never name a key the loader does not know. The workflows run ``tracker update``
on every push and ``tracker digest --send`` weekly, each committing its outputs back with the
``Tracker: skip`` trailer so the walk never sees the tracker's own commits.
"""

from __future__ import annotations

import json
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
# Actions pinned to an exact release, so a moved major tag cannot change what runs with the token.
ACTIONS = {"checkout": "actions/checkout@v4.2.2", "setup_python": "actions/setup-python@v5.3.0",
           "cache": "actions/cache@v4.2.0"}


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
    """What the workflows pip-install when ``--install`` is not given (see ``install_spec``)."""
    try:
        direct_url = metadata.distribution("tracker").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct_url = None
    return install_spec(direct_url)


def install_spec(direct_url: str | None) -> str:
    """What the workflows pip-install when ``--install`` is not given: the exact source this
    tracker was installed from, as PEP 610's ``direct_url.json`` records it (a VCS URL and its
    commit). The name ``tracker`` on the public index belongs to someone else, so anything else
    (an index install, a local folder, an editable checkout) is refused rather than guessed."""
    hint = ('pass --install with what CI should pip-install, e.g. --install '
            '"tracker @ git+https://github.com/<you>/tracker@<commit>"')
    if not direct_url:
        raise TrackerError("cannot tell where this tracker was installed from (no PEP 610 "
                           "direct_url.json), and the name 'tracker' on PyPI is another project",
                           hint=hint)
    try:
        origin = json.loads(direct_url)
    except ValueError:
        origin = {}
    url = origin.get("url", "") if isinstance(origin, dict) else ""
    vcs = origin.get("vcs_info") if isinstance(origin, dict) else None
    if not isinstance(vcs, dict) or not url or url.startswith("file:"):
        where = url or "an unknown place"
        raise TrackerError(f"this tracker was installed from {where}, which CI cannot install "
                           "from (a local folder or editable checkout)", hint=hint)
    commit = vcs.get("commit_id")
    if vcs.get("vcs") != "git" or not isinstance(commit, str) or not commit:
        raise TrackerError(f"this tracker was installed from {url} without a git commit",
                           hint=hint)
    spec = f"tracker @ git+{url}@{commit}"
    subdirectory = origin.get("subdirectory")
    return spec + (f"#subdirectory={subdirectory}" if subdirectory else "")


def render_workflows(branch: str, install: str) -> dict[Path, str]:
    """The two workflow files, by their path inside the site repository."""
    env = environment(None)
    context = {"branch": branch, "install": install, "history_dir": Config().history_dir,
               "actions": ACTIONS}
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
    install = install or default_install()  # refuses before anything is written
    files: dict[Path, str] = {Path(CONFIG_FILE): render_config()}
    files.update(render_workflows(branch or current_branch(root), install))
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
