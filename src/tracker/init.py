"""``tracker init``: a commented tracker.yaml and the two GitHub Actions workflows for a site repo.

tracker.yaml is generated from ``config.reference()`` — every key, its doc and its default — so the
file written can never name a key the loader does not know. The workflows run ``tracker update``
on every push and ``tracker digest --send`` weekly, each committing its outputs back with the
``Tracker: skip`` trailer so the walk never sees the tracker's own commits. Every action they use
is pinned by commit from ``ACTION_PINS``; only their push step (``templates/init/push.sh``: rebase
and retry when someone pushed meanwhile) is given the job's token.

A Hugo project read from outside the repository (``--hugo-config ../site/hugo.yaml``, the real
site's layout) is recorded as values under ``hugo:``, never as a path CI would not have; the
feed links partial and ignoreFiles rules go into that project. In a repository that is a Hugo
site's content, tracker.yaml goes to ``.tracker/`` (see tracker.layout). Run again, init keeps
every file there is and adds only the keys tracker.yaml lacks (tracker.yamledit).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from tracker.config import CONFIG_FILE, PRIVATE_DIR, Config, config_file, load_config, reference
from tracker.drift import TITLE
from tracker.errors import TrackerError
from tracker.fsutil import write_atomic
from tracker.hugo import HugoSite, read_hugo_site
from tracker.init_hugo import hugo_setup, hugo_values
from tracker.layout import HIDDEN_LEDGER, default_ledger, move_into_private
from tracker.paths import matching_files
from tracker.presets import CATALOGUES, Catalogue
from tracker.render import environment
from tracker.yamledit import add_missing, flow

WORKFLOWS_DIR = Path(".github") / "workflows"
UPDATE_WORKFLOW = WORKFLOWS_DIR / "tracker.yml"
DIGEST_WORKFLOW = WORKFLOWS_DIR / "tracker-digest.yml"
DEFAULT_BRANCH = "main"


@dataclass(frozen=True)
class ActionPin:
    """A release of an action: the full commit its tag named when pinned, and the tag."""

    sha: str
    tag: str


# Every action a written workflow uses, pinned by the full commit of a release: its owner can move
# a tag, not a commit. The tag is written beside it as a comment, for readers and for update bots.
# A template writes `uses: {{ pin("actions/checkout") }}`; an action missing here cannot be
# written at all. The README ("Updating the action pins") says how to move one.
ACTION_PINS: dict[str, ActionPin] = {
    "actions/checkout": ActionPin("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": ActionPin("0b93645e9fea7318ecaed2b359559ac225c90a2b", "v5.3.0"),
    "actions/cache": ActionPin("1bd1e32a3bdc45362d1e726936510720a7c30a57", "v4.2.0"),
}


def pin(action: str) -> str:
    """The ``uses:`` value of ``action`` (owner/name): its pinned commit, the tag as a comment."""
    if action not in ACTION_PINS:
        raise KeyError(f"{action} is not pinned: add it to ACTION_PINS in tracker/init.py")
    release = ACTION_PINS[action]
    return f"{action}@{release.sha} # {release.tag}"


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


# The values a content-only repository's commented ``hugo:`` block suggests (the real site's).
HUGO_SUGGESTION = {"hugo.baseURL": "https://your.site/", "hugo.defaultContentLanguage": "zh-cn",
                   "hugo.defaultContentLanguageInSubdir": True, "hugo.languages": ["zh-cn", "en"],
                   "hugo.contentDir": "."}


def render_config(values: dict[str, Any] | None = None, content_only: bool = False,
                  stated: bool = False) -> str:
    """The commented tracker.yaml: every key of ``reference()`` with its doc and default (or the
    value ``values`` gives for it, by dotted key). The ``hugo:`` section is written commented
    out: it is needed only where no Hugo configuration can be read; ``content_only`` (pages at
    the root, no Hugo configuration) fills it with values to check and uncomment; ``stated``
    (values read from a Hugo project beside the repository) writes it in force."""
    entries: list[dict[str, Any]] = []
    sections: dict[str, dict[str, Any]] = {}
    record_rows: list[_Row] = []
    drift_rows: list[_Row] = []
    hugo_rows: list[_Row] = []
    for key, doc, default in reference():
        default = (values or {}).get(key, default)
        if key.startswith("hugo."):
            if content_only:
                default = HUGO_SUGGESTION.get(key, default)
            row = _dump(key.removeprefix("hugo."), default)
            hugo_rows.append(_Row(row.name, doc, row.yaml, row.flow))
        elif key.startswith("records[]."):
            row = _dump(key.removeprefix("records[]."), default)
            record_rows.append(_Row(row.name, doc, row.yaml, row.flow))
        elif key.startswith("drift[]."):
            row = _dump(key.removeprefix("drift[]."), default)
            drift_rows.append(_Row(row.name, doc, row.yaml, row.flow))
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
    text = template.render(entries=entries, record_rows=record_rows, drift_rows=drift_rows,
                           hugo_rows=hugo_rows, content_only=content_only, stated=stated)
    return text if text.endswith("\n") else text + "\n"


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


def _default_install(root: Path) -> str:
    """``default_install``; when it refuses on a site already set up (init run again, say for
    --drift, by a tracker installed from a local checkout), the hint names what the site's
    update workflow installs, so the new workflow can install the same with one option."""
    try:
        return default_install()
    except TrackerError as error:
        workflow = root / UPDATE_WORKFLOW
        found = re.search(r'pip install "(tracker @ [^"]+)"', workflow.read_text(
            encoding="utf-8")) if workflow.is_file() else None
        if found:
            error.hint = (f"{UPDATE_WORKFLOW.as_posix()} installs {found.group(1)}: to install "
                          f'the same, pass --install "{found.group(1)}"')
        raise


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


def render_workflows(branch: str, install: str, history_dir: str | None = None
                     ) -> dict[Path, str]:
    """The two workflow files, by their path inside the site repository."""
    env = environment(None)
    context = {"branch": branch, "install": install,
               "history_dir": history_dir or Config().history_dir, "pin": pin}
    return {
        UPDATE_WORKFLOW: env.get_template("init/tracker.yml.j2").render(context),
        DIGEST_WORKFLOW: env.get_template("init/tracker-digest.yml.j2").render(context),
    }


DRIFT_WORKFLOW = WORKFLOWS_DIR / "tracker-drift.yml"


def known_catalogue(name: str) -> Catalogue:
    """The catalogue ``--drift NAME`` names; refused (before anything is written) if unknown."""
    catalogue = CATALOGUES.get(name)
    if catalogue is None:
        raise TrackerError(f"--drift {name!r} is no catalogue the tracker knows",
                           hint="known: " + ", ".join(sorted(CATALOGUES)))
    return catalogue


def drift_workflow(names: Iterable[str], install: str) -> str:
    """The one daily drift workflow: every catalogue of ``names`` checked out beside the site
    and compared, and one issue kept up to date with all their findings (two workflows would
    each take the other's catalogue for missing, and fight over the issue)."""
    catalogues = [known_catalogue(name) for name in sorted(set(names))]
    text = environment(None).get_template("init/tracker-drift.yml.j2").render(
        catalogues=catalogues, install=install, pin=pin, title=TITLE)
    return text if text.endswith("\n") else text + "\n"


def drift_entry(name: str) -> dict[str, str]:
    """The drift: entry naming the catalogue checked out beside the site."""
    return {"name": name, "path": f"../{name}", "preset": CATALOGUES[name].preset}


def init_site(root: Path, force: bool = False, *, branch: str | None = None,
              install: str | None = None, notes: list[TrackerError] | None = None,
              hugo_config: str | None = None, drift: str | None = None,
              told: list[str] | None = None) -> list[Path]:
    """Write tracker.yaml and the workflows into ``root``; returns the paths written.

    ``hugo_config`` names the site's Hugo configuration when it is not at the root; one outside
    the repository (a Hugo project checked out beside it, which CI does not have) is never
    recorded as a path: what init read from it is recorded under ``hugo:`` as values. On a Hugo
    site it also writes the feed links partial and the ignoreFiles rules into the Hugo project.

    A file that exists is kept unless ``force``: tracker.yaml gets only the keys it lacks (every
    value the maintainer set stays, and a differing one is said), a workflow is left as it is.
    What was added or kept is appended to ``told``; what init cannot do itself to ``notes``.
    """
    root = Path(root)
    notes = notes if notes is not None else []
    told = told if told is not None else []
    install = install or _default_install(root)  # refuses before anything is written
    if drift:
        known_catalogue(drift)  # an unknown one is refused before anything is written
    site = read_hugo_site(root, hugo_config)
    content_repo = site.content_dir == "" if site is not None else is_content_only(root)
    values = hugo_values(site)
    if hugo_config and site is not None and not _outside(root, site):
        values["hugo_config"] = hugo_config  # inside the repository: CI has it too
    elif site is not None and site.site_dir is not None and _outside(root, site):
        values.update(stated_values(site))
    # an existing tracker.yaml that does not load is said before anything is written
    existing = load_config(root)
    if content_repo:
        values["charts.dir"] = "charts"  # kept in the content, served by Hugo as the feeds are
        notes += move_into_private(root, default_ledger(existing))
    config_rel = Path(PRIVATE_DIR, CONFIG_FILE) if content_repo else Path(CONFIG_FILE)
    existing_config = root / config_file(root)
    files: dict[Path, str] = {}
    if existing_config.is_file() and not force:
        merged = add_missing(existing_config.read_text(encoding="utf-8"), values)
        shown = existing_config.relative_to(root).as_posix()
        if merged.added:
            files[existing_config.relative_to(root)] = merged.text
            told.append(f"added to {shown}: " + ", ".join(merged.added))
        for key, theirs, ours in merged.kept:
            source = "the Hugo configuration says" if key.startswith("hugo.") else \
                "init would write"
            told.append(f"kept {key}: {flow(theirs)} in {shown} ({source} {flow(ours)})")
        for row in merged.not_added:
            notes.append(TrackerError(f"could not add {row} by itself", path=shown,
                                      hint="add it by hand"))
        if drift and not any(entry.name == drift for entry in existing.drift):
            entry = ", ".join(f"{key}: {value}" for key, value in drift_entry(drift).items())
            notes.append(TrackerError(f"it names no drift: catalogue '{drift}'", path=shown,
                                      hint=f"add  drift: [{{{entry}}}]"))
    else:
        stated = any(key.startswith("hugo.") for key in values)
        if drift:
            values["drift"] = [drift_entry(drift)]
        files[config_rel] = render_config(values, content_repo and site is None, stated)
    ledger = HIDDEN_LEDGER if content_repo else Config().history_dir
    workflows = render_workflows(branch or current_branch(root), install, ledger)
    if drift:  # asked for: written again with every catalogue the site compares with
        text = drift_workflow(
            [drift, *(entry.name for entry in existing.drift if entry.name in CATALOGUES)],
            install)
        if not _holds(root / DRIFT_WORKFLOW, text):
            files[DRIFT_WORKFLOW] = text
    for rel, content in workflows.items():
        if (root / rel).exists() and not force:
            told.append(f"kept {rel.as_posix()} (it exists; --force writes it again)")
            notes += _stale_ledger_path(root / rel, rel, ledger)
        else:
            files[rel] = content
    written = []
    for rel, content in files.items():
        write_atomic(root / rel, content.encode("utf-8"))
        written.append(root / rel)
    config = load_config(root)
    if config.hugo_config and _leaves(root, config.hugo_config):
        notes.append(TrackerError(
            f"'hugo_config' names {config.hugo_config!r}, outside the repository: CI checks "
            "out the repository alone and will not find it", path=config_file(root),
            hint="remove hugo_config: the values are under 'hugo:'"
            if config.hugo.stated() else "state the values under 'hugo:' instead (run tracker "
                                         "init --hugo-config with that path)"))
    if site is not None:
        written += hugo_setup(root, site, notes)
    elif content_repo:
        notes += content_only_notes(root, stated=config.hugo.stated())
    return written


def _holds(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def _stale_ledger_path(path: Path, rel: Path, ledger: str) -> list[TrackerError]:
    """A kept workflow an older init wrote that commits the ledger where it no longer is:
    ``git add history`` fails once the ledger is in .tracker/history."""
    old = Config().history_dir
    text = path.read_text(encoding="utf-8", errors="replace")
    if ledger == old or f"git add {old}\n" not in text:
        return []
    return [TrackerError(f"it commits the ledger as 'git add {old}', which is now {ledger}/: "
                         "that step would fail", path=rel.as_posix(),
                         hint=f"write it again with --force, or change it to 'git add {ledger}'")]


def _outside(root: Path, site: HugoSite) -> bool:
    """Whether the Hugo project (its configuration) lies outside the repository."""
    return site.site_dir is not None and _leaves(root, str(site.site_dir))


def _leaves(root: Path, path: str) -> bool:
    try:
        (root / path).resolve().relative_to(root.resolve())
    except ValueError:
        return True
    return False


def stated_values(site: HugoSite) -> dict[str, Any]:
    """What tracker.yaml's ``hugo:`` block records of a Hugo configuration read beside the
    repository, so CI (which has the repository alone) links as the site does."""
    values: dict[str, Any] = {}
    if site.base_url:
        values["hugo.baseURL"] = site.base_url + "/"
    values["hugo.defaultContentLanguage"] = site.default_language
    values["hugo.defaultContentLanguageInSubdir"] = site.in_subdir
    values["hugo.languages"] = list(site.languages)
    if site.content_dir is not None:
        values["hugo.contentDir"] = site.content_dir or "."
    return values


def is_content_only(root: Path) -> bool:
    """Service pages at the repository's root (not under content/) and no Hugo configuration
    here: the content of a site whose Hugo project lives in another repository."""
    at_root = [p for p in Config().pages if not p.startswith("content/")]
    return bool(matching_files(root, at_root))


def content_only_notes(root: Path, stated: bool = False) -> list[TrackerError]:
    """What init cannot do in a content-only repository: say it, and what to do instead.
    With the 'hugo:' values already stated (init run again on an adopted repository, say for
    --drift), links do follow the site's languages: only the partial is left to say."""
    languages = [] if stated else [
        TrackerError("no Hugo configuration here, so links cannot follow the site's languages",
                     path=config_file(root), hint="run tracker init --hugo-config <path to the "
                     "site's hugo.yaml> from a checkout of the Hugo project beside this one to "
                     "record them, or fill in and uncomment the 'hugo:' block")]
    return languages + [
        TrackerError("the Hugo project is elsewhere, so its feed links partial was not written "
                     "(tracker init --hugo-config writes it, and ignoreFiles rules for the old "
                     "layout)"),
    ]


def updates_offer(root: Path) -> list[str]:
    """The updates files (of tracker.yaml's updates_files) that have no updates markers yet."""
    config = load_config(root)
    return [relative.as_posix() for relative in matching_files(root, config.updates_files)
            if "<!-- tracker:updates:begin -->" not in
            (root / relative).read_text(encoding="utf-8", errors="replace")]
