"""The README cannot drift: its excerpts, configuration table, kinds and commands come from the code."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.config import reference_table
from tracker.model import KINDS

PROJECT = Path(__file__).resolve().parent.parent
README = (PROJECT / "README.md").read_text(encoding="utf-8")
EXCERPT = re.compile(r"<!-- excerpt: (\S+) -->\n```\w*\n(.*?)```", re.DOTALL)


def test_configuration_table_is_generated_from_the_code() -> None:
    assert reference_table() in README


def test_every_event_kind_is_explained() -> None:
    missing = [kind for kind in KINDS if f"`{kind}`" not in README]
    assert missing == []


def test_every_command_and_option_is_in_the_readme() -> None:
    missing = []
    for name, command in cli.commands.items():
        if f"`tracker {name}" not in README:
            missing.append(name)
        for param in command.params:
            if isinstance(param, click.Option):
                if not any(opt in README for opt in param.opts if opt.startswith("--")):
                    missing.append(f"{name} {param.opts[0]}")
    assert missing == []


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory, example_updated: Path) -> Path:
    out = tmp_path_factory.mktemp("demo")
    shutil.copytree(example_updated, out / "site", symlinks=True)  # built once (conftest)
    result = CliRunner().invoke(cli, ["digest", "--repo", str(out / "site"), "--week", "2025-W47",
                                      "--out", str(out / "digest")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_excerpts_are_what_the_demo_produces(demo_output: Path) -> None:
    excerpts = EXCERPT.findall(README)
    assert len(excerpts) >= 3
    for where, text in excerpts:
        source = demo_output / ("site/" + where if where.startswith("feeds/") else where)
        assert text in source.read_text(encoding="utf-8"), f"README excerpt of {where} is stale"


def test_the_files_a_new_kind_or_feed_format_touches_exist() -> None:
    section = README.split("### Adding an event kind or a feed format", 1)[1].split("\n## ")[0]
    section = section.split("\n### ", 1)[0]
    named = re.findall(r"`((?:src|tests)/[\w/.]+\.py|README\.md)`", section)
    named += [f"tests/{name}" for name in re.findall(r"`(test_\w+\.py)`", section)]
    assert len(named) >= 7
    assert [path for path in named if not (PROJECT / path).is_file()] == []
    # and each name the section says a file holds is in that file
    for path, names in (("src/tracker/model.py", ["KINDS"]),
                        ("src/tracker/walk/classify.py", ["SEVERITY", "BY_DIRECTION"]),
                        ("src/tracker/i18n.py", ["KIND_LABELS", "SUMMARY_FORMS", "PHRASES"]),
                        ("src/tracker/render/feeds.py", ["FORMATS", "SITE_FEEDS", "def feed_index",
                                                         "def feed_links", "OWNED_SUFFIXES"])):
        text = (PROJECT / path).read_text(encoding="utf-8")
        assert [n for n in names if n not in text] == [], path
