"""One fast test per pipeline stage, on small hand-made inputs: when a stage breaks, its own test
fails here, not only a slow test that walks a repository (those are in test_pipeline.py)."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import GitRepo
from tracker.cli import cli
from tracker.config import load_config
from tracker.errors import TrackerError
from tracker.ledger import Ledger
from tracker.model import Event, severity_rank
from tracker.paths import glob_matcher, matching_files, page_identity, page_lang
from tracker.render.markers import Page, find_markers, rewrite_marked
from tracker.walk.classify import CommitInfo, ServiceRef, classify
from tracker.walk.diff import MISSING, FieldChange, diff_facts

FACTS: dict[str, Any] = {
    "name": "Acme", "provider": "acme", "endpoint": "https://api.acme.example/v1",
    "tier": "limited-free", "requirements": ["registration"], "credit_card_required": False,
    "limits": {"requests_per_day": 14400, "concurrency": 5},
    "models": {"acme-chat": {"context": 131072, "input_price": 0.28, "output_price": 0.42,
                             "currency": "USD"}},
}
REF = ServiceRef("acme", "Acme", "acme", "services/api/acme/_index.md")
COMMIT = CommitInfo("a" * 40, "2025-03-01T10:00:00+08:00")


def changed(**edits: Any) -> dict[str, Any]:
    """FACTS with dotted keys replaced (``limits.concurrency=1``), or removed when MISSING."""
    facts = deepcopy(FACTS)
    for dotted, value in edits.items():
        *parents, last = dotted.split("__")
        target = facts
        for key in parents:
            target = target[key]
        if value is MISSING:
            del target[last]
        else:
            target[last] = value
    return facts


def events_of(new: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    found = classify(REF, COMMIT, FACTS, new, diff_facts(FACTS, new))
    return [(e.kind, e.model, e.severity) for e in found]


# --- diff ----------------------------------------------------------------------------------------

def test_diff_names_each_changed_path_with_both_values() -> None:
    new = changed(limits__concurrency=1)
    assert diff_facts(FACTS, new) == [FieldChange(("limits", "concurrency"), 5, 1)]
    assert diff_facts(FACTS, deepcopy(FACTS)) == []


def test_diff_sees_a_model_go_and_a_number_written_differently_as_no_change() -> None:
    gone = changed(**{"models__acme-chat": MISSING})
    [change] = diff_facts(FACTS, gone)
    assert change.path[:2] == ("models", "acme-chat") and change.new is MISSING
    assert diff_facts(FACTS, changed(limits__requests_per_day=14400.0)) == []


# --- classify ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("edits", "expected"), [
    ({"limits__concurrency": 1}, [("quota_cut", None, "breaking")]),
    ({"limits__requests_per_day": 20000}, [("quota_raised", None, "notable")]),
    ({"models__acme-chat__output_price": 0.84}, [("price_increase", "acme-chat", "breaking")]),
    ({"models__acme-chat__input_price": 0.14}, [("price_decrease", "acme-chat", "notable")]),
    ({"endpoint": "https://acme.example/v2"}, [("endpoint_changed", None, "breaking")]),
])
def test_classify_gives_kind_and_severity(edits: dict[str, Any],
                                          expected: list[tuple[str, str | None, str]]) -> None:
    assert events_of(changed(**edits)) == expected


def test_classify_model_added_and_removed() -> None:
    added = deepcopy(FACTS)
    added["models"]["acme-new"] = {"context": 8192}
    assert [k for k, m, _ in events_of(added) if m == "acme-new"] == ["model_added"]
    removed = changed(**{"models__acme-chat": MISSING})
    assert [k for k, m, _ in events_of(removed)] == ["model_removed"]


def test_event_ids_depend_on_content_and_date_not_on_the_commit() -> None:
    new = changed(limits__concurrency=1)
    first = classify(REF, COMMIT, FACTS, new, diff_facts(FACTS, new))
    rebased = classify(REF, CommitInfo("b" * 40, COMMIT.date), FACTS, new,
                       diff_facts(FACTS, new))
    assert [e.id for e in first] == [e.id for e in rebased]
    assert first[0].commit != rebased[0].commit


def test_severity_order_has_one_home() -> None:
    assert sorted(["info", "weird", "breaking", "notable"], key=severity_rank) == [
        "breaking", "notable", "info", "weird"]


# --- ledger --------------------------------------------------------------------------------------

def event(n: int, month: str = "2025-03") -> Event:
    return Event(id=f"{n:016x}", date=f"{month}-0{n % 9 + 1}T10:00:00+08:00", commit="c" * 40,
                 path=REF.path, service="acme", service_name="Acme", provider="acme",
                 model=None, kind="quota_cut", field="limits.concurrency", old=5, new=n,
                 change_pct=None, severity="breaking", tier=None, currency=None)


def test_ledger_merges_by_id_and_writes_nothing_when_nothing_is_new(tmp_path: Path) -> None:
    ledger = Ledger(load_config(tmp_path))
    written = ledger.add_events([event(1), event(2), event(3, "2025-04")])
    assert [p.name for p in written] == ["2025-03.yaml", "2025-04.yaml"]
    before = {p: p.read_bytes() for p in written}
    again = Ledger(load_config(tmp_path))
    assert again.add_events([event(2), event(1)]) == []
    assert {p: p.read_bytes() for p in written} == before
    assert [e.id for e in again.events()] == [event(n).id for n in (1, 2, 3)]


def test_ledger_overrides_retract_and_reclassify(tmp_path: Path) -> None:
    ledger = Ledger(load_config(tmp_path))
    ledger.add_events([event(1), event(2)])
    (tmp_path / "history" / "overrides.yaml").write_text(
        f"'{event(1).id}': {{retract: true}}\n'{event(2).id}': {{severity: info}}\n")
    shown = Ledger(load_config(tmp_path)).events()
    assert [(e.id, e.severity) for e in shown] == [(event(2).id, "info")]


def test_ledger_names_file_and_line_of_bad_yaml(tmp_path: Path) -> None:
    overrides = tmp_path / "history" / "overrides.yaml"
    overrides.parent.mkdir()
    overrides.write_text("a: {retract: true}\nb: [unclosed\n")
    with pytest.raises(TrackerError) as caught:
        Ledger(load_config(tmp_path)).events()
    assert caught.value.path == str(overrides) and caught.value.line is not None


# --- markers -------------------------------------------------------------------------------------

PAGE = ("---\ntitle: x\n---\n\nintro\n\n```md\n<!-- tracker:changelog:begin -->\n```\n\n"
        "<!-- tracker:changelog:begin -->\nold\n<!-- tracker:changelog:end -->\n\ntail\n")


def test_markers_inside_a_code_fence_are_not_markers() -> None:
    assert find_markers(Page(PAGE), "changelog") == (10, 12)


def test_rewriting_a_block_changes_no_byte_outside_it() -> None:
    new = rewrite_marked(PAGE, "changelog", "new\n")
    assert new.startswith(PAGE[:PAGE.rindex("<!-- tracker:changelog:begin -->")])
    assert new.endswith("<!-- tracker:changelog:end -->\n\ntail\n") and "\nnew\n" in new
    assert rewrite_marked(new, "changelog", "new\n") == new  # a second run is a no-op
    crlf = PAGE.replace("\n", "\r\n")
    assert "\r\nnew\r\n" in rewrite_marked(crlf, "changelog", "new\n")


# --- paths and config ----------------------------------------------------------------------------

def test_one_glob_dialect_for_walking_and_rendering(tmp_path: Path) -> None:
    for name in ("services/api/a/_index.md", "services/api/a/_index.en.md",
                 "services/api/b/index.md", "services/api/a/notes.txt", ".git/x/_index.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    patterns = ["services/api/*/{_index,index}*.md"]
    found = [p.as_posix() for p in matching_files(tmp_path, patterns)]
    assert found == ["services/api/a/_index.en.md", "services/api/a/_index.md",
                     "services/api/b/index.md"]
    assert all(glob_matcher(tuple(patterns)).match(p) for p in found)
    assert [p.as_posix() for p in matching_files(tmp_path, ["**/_index.md"])] == [
        "services/api/a/_index.md"]


def test_a_page_path_gives_service_and_language() -> None:
    assert page_identity("content/services/api/acme/_index.en.md") == ("acme", "en")
    assert page_identity("services/api/acme/_index.md", "en") == ("acme", "en")
    assert page_lang(Path("services/api/_index.zh.md"), "en") == "zh"


def test_config_errors_name_the_line(tmp_path: Path) -> None:
    (tmp_path / "tracker.yaml").write_text("site_url: https://a.example\npages: [a\n")
    with pytest.raises(TrackerError) as caught:
        load_config(tmp_path)
    assert caught.value.path == "tracker.yaml" and "not valid YAML" in caught.value.message
    (tmp_path / "tracker.yaml").write_text("site_url: https://a.example\n"
                                           "site_url: https://b.example\n")
    with pytest.raises(TrackerError, match="duplicate key 'site_url'") as caught:
        load_config(tmp_path)
    assert caught.value.line == 2
    (tmp_path / "tracker.yaml").write_text("site_url: javascript:alert(1)\n")
    with pytest.raises(TrackerError, match="site_url"):
        load_config(tmp_path)


# --- cli -----------------------------------------------------------------------------------------

def test_cli_exit_statuses(repo: GitRepo, page_text: str) -> None:
    runner = CliRunner()
    repo.write("services/api/acme/_index.md", page_text)
    repo.commit("add acme", "2025-01-01T10:00:00+08:00")
    result = runner.invoke(cli, ["update", "--repo", str(repo.root)])
    assert result.exit_code == 0 and "1 new event," in result.output
    result = runner.invoke(cli, ["snapshot", "--repo", str(repo.root), "--rev", "nope"])
    assert result.exit_code == 1 and "no such revision" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["log", "--repo", str(repo.root), "--severity", "fatal"])
    assert result.exit_code == 2  # a usage error is click's own


# --- one rule for front matter and code fences, in the parser and the marker finder ---------------

def test_parser_and_marker_finder_read_front_matter_and_fences_alike(page_text: str) -> None:
    from tracker.sources.page import parse_page
    from tracker.sources.sections import scan_page

    path = "services/api/acme/_index.md"
    yaml_head, _, body = page_text.removeprefix("---\n").partition("\n---\n")
    toml_head = "\n".join(f'{k} = "{v.strip().strip(chr(34))}"' for k, _, v in
                          (line.partition(":") for line in yaml_head.splitlines())
                          if k in ("title", "linkTitle"))
    toml_page = f"+++\n{toml_head}\n+++\n{body}"
    assert parse_page(toml_page.encode(), path).name == parse_page(page_text.encode(), path).name
    assert scan_page(toml_page.encode(), path).front_matter_format == "toml"

    # a backtick "fence" whose info string holds a backtick is inline code, for both readers
    text = ("+++\ntitle = 'x'\n+++\n\n``` not`a fence\n\n**API 地址：** `https://a.example`\n\n"
            "<!-- tracker:changelog:begin -->\nx\n<!-- tracker:changelog:end -->\n")
    page = Page(text)
    assert page.body == 3 and page.front_matter() == {"title": "x"}
    assert find_markers(page, "changelog") == (8, 10)
    assert [f.label for f in scan_page(text.encode(), path).fields] == ["API 地址"]
