"""tracker drift: pages compared with small catalogue histories built as real git repositories
(a models.dev-shaped tree, a LiteLLM-shaped map), every finding dated by the catalogue commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import GitRepo
from tracker import catalogue as catalogue_module
from tracker.cli import cli
from tracker.config import load_config
from tracker.drift import Finding, format_report, lengths_agree, run_drift
from tracker.errors import TrackerError

PAGE = """---
title: "Lumen Cloud API"
---

## 📋 服务概览

**服务名称：** Lumen Cloud API  
**所属提供者：** [Lumen](/providers/lumen)  
**服务类型：** 有限免费

## 🎁 可用模型

| 模型名称 | 上下文长度 | 输出长度 | 输入价格 | 输出价格 |
|---------|-----------|---------|---------|---------|
| **lumen-large** | 128K | 8K | $0.50/M | $1.50/M |
| **lumen-small** | 32K | 4K | | |
| **lumen-old** | 8K | 2K | | |
| **lumen-retired** | 16K | | | |
| **lumen-mystery** | 16K | | | |
"""

YUAN_PAGE = """---
title: "Yuan API"
---

## 📋 服务概览

**服务名称：** Yuan API  
**服务类型：** 有限免费

## 🎁 可用模型

| 模型名称 | 上下文长度 | 输入价格 | 输出价格 |
|---------|-----------|---------|---------|
| **yuan-chat** | 64K | ¥1/M | ¥2/M |
"""

CONFIG = """drift:
- name: models.dev
  path: ../catalogue
  preset: models-dev
  services: {lumen-cloud: lumen}
"""


def model_toml(context: int, output: int | None = None, price: tuple[float, float] | None = None,
               status: str | None = None) -> str:
    lines = ['name = "a model"', 'last_updated = "2025-01-01"']
    if status:
        lines.append(f'status = "{status}"')
    if price:
        lines += ["[cost]", f"input = {price[0]}", f"output = {price[1]}"]
    lines += ["[limit]", f"context = {context}"]
    if output:
        lines.append(f"output = {output}")
    return "\n".join(lines) + "\n"


def models_dev(root: Path) -> tuple[GitRepo, dict[str, str]]:
    """A models.dev-shaped history; returns the repository and the sha of each step."""
    cat = GitRepo(root)
    shas = {}
    cat.write("providers/lumen/provider.toml", 'name = "Lumen"\n')
    cat.write("providers/lumen/models/lumen-large.toml", model_toml(131072, 8192, (0.5, 1.5)))
    cat.write("providers/lumen/models/lumen-small.toml", model_toml(32768, 4096))
    cat.write("providers/lumen/models/lumen-old.toml", model_toml(8192, 2048))
    cat.write("providers/lumen/models/lumen-retired.toml", model_toml(16384))
    cat.write("providers/lumen/models/lumen-early.toml", model_toml(4096))
    cat.write("providers/yuan/provider.toml", 'name = "Yuan"\n')
    cat.write("providers/yuan/models/yuan-chat.toml", model_toml(65536, None, (0.14, 0.28)))
    shas["first"] = cat.commit("Add Lumen and Yuan", "2025-01-10T10:00:00+00:00")
    cat.write("providers/lumen/models/lumen-small.toml", model_toml(65536, 4096))
    shas["small"] = cat.commit("Lumen small: 64K context", "2025-02-01T10:00:00+00:00")
    cat.write("providers/lumen/models/lumen-old.toml", model_toml(8192, 2048, status="deprecated"))
    shas["old"] = cat.commit("Deprecate lumen-old", "2025-02-10T10:00:00+00:00")
    # a change of a field nobody maps moves no date
    cat.write("providers/lumen/models/lumen-large.toml",
              model_toml(131072, 8192, (0.5, 1.5)).replace("2025-01-01", "2025-02-20"))
    cat.commit("Touch last_updated", "2025-02-20T10:00:00+00:00")
    return cat, shas


def catalogue_after_the_page(cat: GitRepo, shas: dict[str, str]) -> None:
    """What the catalogue learns after the page's last edit (2025-03-01)."""
    cat.git("rm", "-q", "providers/lumen/models/lumen-retired.toml")
    shas["retired"] = cat.commit("Remove lumen-retired", "2025-03-05T10:00:00+00:00")
    cat.write("providers/lumen/models/lumen-new.toml", model_toml(200000))
    shas["new"] = cat.commit("Add lumen-new", "2025-03-10T10:00:00+00:00")
    cat.write("providers/lumen/models/lumen-large.toml", model_toml(131072, 8192, (0.5, 2.0)))
    shas["price"] = cat.commit("Lumen large: output price 2.0", "2025-03-12T10:00:00+00:00")


@pytest.fixture
def setup(tmp_path: Path) -> tuple[GitRepo, GitRepo, dict[str, str]]:
    cat, shas = models_dev(tmp_path / "catalogue")
    site = GitRepo(tmp_path / "site")
    site.write("tracker.yaml", CONFIG)
    site.write("services/api/lumen-cloud/_index.md", PAGE)
    site.write("services/api/yuan/_index.md", YUAN_PAGE)
    shas["page"] = site.commit("Pages", "2025-03-01T08:00:00+00:00")
    catalogue_after_the_page(cat, shas)
    return site, cat, shas


def by_kind(findings: list[Finding]) -> dict[tuple[str, str, str | None], Finding]:
    return {(f.kind, f.model, f.field): f for f in findings}


def test_every_kind_of_finding_dated_by_the_catalogue_commit(setup) -> None:  # type: ignore[no-untyped-def]
    site, _cat, shas = setup
    report = run_drift(site.root)
    found = by_kind(report.findings)
    assert set(found) == {
        ("value", "lumen-small", "context"),
        ("value", "lumen-large", "output_price"),
        ("deprecated", "lumen-old", "deprecated"),
        ("gone", "lumen-retired", None),
        ("unlisted", "lumen-mystery", None),
        ("new", "lumen-new", None),
    }
    small = found[("value", "lumen-small", "context")]
    assert (small.page_value, small.catalogue_value) == (32768, 65536)
    assert (small.since, small.commit) == ("2025-02-01T10:00:00+00:00", shas["small"])
    assert small.path == "services/api/lumen-cloud/_index.md"
    lines = PAGE.splitlines()
    assert "lumen-small" in lines[small.line - 1]  # type: ignore[operator]
    price = found[("value", "lumen-large", "output_price")]
    assert (price.page_value, price.catalogue_value, price.commit) == (1.5, 2.0, shas["price"])
    assert price.currency == "USD" and small.currency is None
    assert found[("deprecated", "lumen-old", "deprecated")].commit == shas["old"]
    gone = found[("gone", "lumen-retired", None)]
    assert (gone.since, gone.commit) == ("2025-03-05T10:00:00+00:00", shas["retired"])
    assert "lumen-retired" in lines[gone.line - 1]  # type: ignore[operator]
    unlisted = found[("unlisted", "lumen-mystery", None)]
    assert (unlisted.since, unlisted.commit) == (None, None)
    new = found[("new", "lumen-new", None)]
    assert (new.commit, new.path, new.line) == (shas["new"], None, None)
    assert {f.service for f in report.findings} == {"lumen-cloud"}
    assert {f.catalogue for f in report.findings} == {"models.dev"}


def test_agreement_is_no_finding(setup) -> None:  # type: ignore[no-untyped-def]
    site, _cat, _shas = setup
    findings = run_drift(site.root).findings
    # 128K on the page is 131,072 in the catalogue; its input price agrees; lumen-early was
    # there before the page was written (the page's choice); CNY is never compared with USD
    assert not [f for f in findings if f.model == "lumen-large" and f.field != "output_price"]
    assert not [f for f in findings if f.model in ("lumen-early", "yuan-chat")]


def test_lengths_agree_however_k_is_read() -> None:
    assert lengths_agree(131072, 128000) and lengths_agree(128000, 131072)
    assert lengths_agree(1048576, 1000000) and lengths_agree(8192, 8192)
    assert not lengths_agree(32768, 131072) and not lengths_agree(65536, 163840)
    assert not lengths_agree(131072, 130000)


def test_a_new_model_before_the_page_was_written_is_not_news(setup) -> None:  # type: ignore[no-untyped-def]
    site, _cat, _shas = setup
    site.replace("services/api/lumen-cloud/_index.md", "| **lumen-mystery** | 16K | | | |\n", "")
    site.commit("Drop lumen-mystery", "2025-03-11T00:00:00+00:00")
    found = by_kind(run_drift(site.root).findings)
    assert ("new", "lumen-new", None) not in found  # added 03-10, the page changed 03-11
    assert ("unlisted", "lumen-mystery", None) not in found


def test_the_trackers_own_commits_are_no_edit_of_the_page(setup) -> None:  # type: ignore[no-untyped-def]
    site, _cat, _shas = setup
    site.write("services/api/lumen-cloud/_index.md", PAGE + "\n## 📝 更新日志\n")
    site.commit("chore(tracker): changelog\n\nTracker: skip", "2025-03-20T00:00:00+00:00")
    assert ("new", "lumen-new", None) in by_kind(run_drift(site.root).findings)


def test_only_limits_the_news_to_a_glob(setup) -> None:  # type: ignore[no-untyped-def]
    site, _cat, _shas = setup
    site.write("tracker.yaml", CONFIG + "  only: {lumen: '*-free'}\n")
    site.commit("only free", "2025-03-02T00:00:00+00:00")
    assert not [f for f in run_drift(site.root).findings if f.kind == "new"]


def test_a_model_map_and_the_last_segment_find_the_catalogues_id(setup) -> None:  # type: ignore[no-untyped-def]
    site, cat, _shas = setup
    site.write("tracker.yaml", CONFIG + "  models: {lumen-mystery: lumen-early}\n")
    site.commit("map", "2025-03-02T00:00:00+00:00")
    cat.write("providers/yuan/models/yuan/yuan-chat.toml", model_toml(65536))
    cat.git("rm", "-q", "providers/yuan/models/yuan-chat.toml")
    cat.commit("Yuan: ids with the vendor", "2025-03-13T00:00:00+00:00")
    found = by_kind(run_drift(site.root).findings)
    mapped = found[("value", "lumen-mystery", "context")]  # 16K on the page, 4,096 there
    assert (mapped.catalogue_model, mapped.catalogue_value) == ("lumen-early", 4096)
    assert not [key for key in found if key[1] == "yuan-chat"]


def test_a_litellm_map_gives_a_shutdown_date(tmp_path: Path) -> None:
    cat = GitRepo(tmp_path / "litellm")
    records = {"sample_spec": {"max_input_tokens": "max input tokens"},
               "lumen-large": {"litellm_provider": "lumen", "max_input_tokens": 131072,
                               "input_cost_per_token": 5e-07, "output_cost_per_token": 1.5e-06}}
    cat.write("model_prices_and_context_window.json", json.dumps(records))
    cat.commit("Add lumen", "2025-01-10T00:00:00+00:00")
    records["lumen-large"]["deprecation_date"] = "2025-09-30"
    cat.write("model_prices_and_context_window.json", json.dumps(records))
    dated = cat.commit("lumen-large retires", "2025-02-10T00:00:00+00:00")
    site = GitRepo(tmp_path / "site")
    site.write("tracker.yaml", "drift:\n- {name: LiteLLM, path: ../litellm, preset: litellm,"
                               " services: {lumen-cloud: lumen}}\n")
    site.write("services/api/lumen-cloud/_index.md", PAGE)
    site.commit("Pages", "2025-03-01T00:00:00+00:00")
    found = by_kind(run_drift(site.root).findings)
    shutdown = found[("deprecated", "lumen-large", "shutdown_date")]
    assert (shutdown.catalogue_value, shutdown.commit, shutdown.catalogue) == \
        ("2025-09-30", dated, "LiteLLM")
    assert ("value", "lumen-large", "input_price") not in found  # 5e-07/token is 0.5/M


def test_a_second_run_reads_the_walk_back_and_a_later_one_walks_only_new_commits(
        setup, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    site, cat, _shas = setup
    first = run_drift(site.root).findings
    assert (site.root / ".git" / "tracker-cache" / "drift-models.dev.pickle").is_file()
    walked: list[str | None] = []
    commits = catalogue_module.History.commits

    def counting(self, since, until):  # type: ignore[no-untyped-def]
        walked.append(since)
        return commits(self, since, until)

    monkeypatch.setattr(catalogue_module.History, "commits", counting)
    assert run_drift(site.root).findings == first
    assert walked == []  # the same catalogue HEAD: nothing walked
    cat.write("providers/lumen/models/lumen-small.toml", model_toml(131072, 4096))
    cat.commit("Lumen small: 128K", "2025-04-01T00:00:00+00:00")
    later = run_drift(site.root).findings
    assert len(walked) == 1 and walked[0] is not None  # from the cached HEAD on
    (site.root / ".git" / "tracker-cache" / "drift-models.dev.pickle").unlink()
    assert run_drift(site.root).findings == later  # the same as a walk from scratch
    small = by_kind(later)[("value", "lumen-small", "context")]
    assert (small.catalogue_value, small.since) == (131072, "2025-04-01T00:00:00+00:00")


def test_formats_and_the_exit_status(setup) -> None:  # type: ignore[no-untyped-def]
    site, _cat, shas = setup
    runner = CliRunner()
    done = runner.invoke(cli, ["drift", "--repo", str(site.root), "--format", "json"])
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert set(document) == {"findings"} and len(document["findings"]) == 6
    for key in ("kind", "service", "model", "field", "page_value", "catalogue_value",
                "catalogue", "since", "commit", "path", "line"):
        assert all(key in f for f in document["findings"])
    text = runner.invoke(cli, ["drift", "--repo", str(site.root), "--service", "yuan"])
    assert text.exit_code == 0 and text.stdout == "0 findings\n"
    markdown = format_report(run_drift(site.root), "markdown")
    assert "| lumen-cloud | `lumen-new` | new |  | (models.dev) | 2025-03-10 " in markdown
    assert "| `lumen-large` | value (output price) | $1.5/M | $2/M (models.dev) |" in markdown
    assert "| lumen-cloud | `lumen-small` | value (context length) | 32,768 | 65,536 (models.dev) | " \
           f"2025-02-01 `{shas['small'][:9]}` | `services/api/lumen-cloud/_index.md:" in markdown
    wrong = runner.invoke(cli, ["drift", "--repo", str(site.root), "--service", "lumen"])
    assert wrong.exit_code == 1 and "did you mean lumen-cloud?" in wrong.stderr


def test_catalogue_picks_the_entries_compared(setup) -> None:  # type: ignore[no-untyped-def]
    """What the daily workflow runs: only the catalogues it checked out, by name."""
    site, _cat, _shas = setup
    # a second entry whose checkout is not there: comparing with it is an error ...
    site.write("tracker.yaml", CONFIG + "- name: litellm\n  path: ../nowhere\n"
                                        "  preset: litellm\n")
    runner = CliRunner()
    every = runner.invoke(cli, ["drift", "--repo", str(site.root), "--format", "json"])
    assert every.exit_code == 1 and "litellm" in every.stderr
    # ... and naming the one checked out compares with it alone
    one = runner.invoke(cli, ["drift", "--repo", str(site.root), "--format", "json",
                              "--catalogue", "models.dev"])
    assert one.exit_code == 0, one.output
    assert {f["catalogue"] for f in json.loads(one.stdout)["findings"]} == {"models.dev"}
    typo = runner.invoke(cli, ["drift", "--repo", str(site.root), "--catalogue", "modelsdev"])
    assert typo.exit_code == 1
    assert "--catalogue 'modelsdev' names no drift: entry" in typo.stderr
    assert "did you mean models.dev?" in typo.stderr and "Traceback" not in typo.output


def test_check_drift_fails_and_annotates_the_page_lines(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, _cat, _shas = setup
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    done = CliRunner().invoke(cli, ["check", "--drift", "--repo", str(site.root)], env=env)
    assert done.exit_code == 1
    small = [line for line in done.stderr.splitlines() if "lumen-small" in line]
    row = PAGE.splitlines().index(next(x for x in PAGE.splitlines() if "lumen-small" in x)) + 1
    assert small == [f"::warning file=services/api/lumen-cloud/_index.md,line={row}::lumen-cloud "
                     "lumen-small: Context length 32,768 on the page, 65,536 in models.dev since "
                     f"2025-02-01 ({_shas['small'][:9]})"]
    assert "6 drift findings" in done.stdout
    assert "| lumen-cloud | `lumen-new` | new |" in summary.read_text(encoding="utf-8")
    plain = CliRunner().invoke(cli, ["check", "--repo", str(site.root)], env=env)
    assert plain.exit_code == 0  # without --drift, the catalogues are not read


def test_check_drift_passes_when_the_pages_agree(tmp_path: Path) -> None:
    cat, _shas = models_dev(tmp_path / "catalogue")
    site = GitRepo(tmp_path / "site")
    site.write("tracker.yaml", CONFIG)
    site.write("services/api/yuan/_index.md", YUAN_PAGE)
    site.commit("Pages", "2025-03-01T00:00:00+00:00")
    done = CliRunner().invoke(cli, ["check", "--drift", "--repo", str(site.root)])
    assert done.exit_code == 0, done.output
    assert "0 drift findings" in done.stdout


@pytest.mark.parametrize(("entry", "message"), [
    ("{name: x, path: ../catalogue, preset: model-dev}", "'drift[0].preset' names no preset"),
    ("{name: x, preset: models-dev}", "'drift[0].path' is empty"),
    ("{name: x, path: ../catalogue}", "'drift[0].files' is empty"),
    ("{name: x, path: ../nowhere, preset: models-dev}", "the checkout of x is not there"),
])
def test_bad_settings_are_named(setup, entry: str, message: str) -> None:  # type: ignore[no-untyped-def]
    site, _cat, _shas = setup
    site.write("tracker.yaml", f"drift:\n- {entry}\n")
    site.commit("bad", "2025-03-02T00:00:00+00:00")
    with pytest.raises(TrackerError, match=message.replace("[", r"\[").replace("]", r"\]")):
        run_drift(site.root)


def test_a_shallow_catalogue_cannot_date_its_findings(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, cat, _shas = setup
    shallow = GitRepo.__new__(GitRepo)
    shallow.root = tmp_path / "shallow"
    import subprocess

    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{cat.root}",
                    str(shallow.root)], check=True)
    site.write("tracker.yaml", CONFIG.replace("../catalogue", str(shallow.root)))
    site.commit("shallow", "2025-03-02T00:00:00+00:00")
    done = CliRunner().invoke(cli, ["drift", "--repo", str(site.root)])
    assert done.exit_code == 1 and "is shallow" in done.stderr and "Traceback" not in done.output


def test_a_preset_key_can_be_overridden(tmp_path: Path) -> None:
    (tmp_path / "tracker.yaml").write_text(
        "records:\n- {preset: models-dev, name: mine, currency: EUR}\n", encoding="utf-8")
    source = load_config(tmp_path).records[0]
    assert (source.name, source.currency, source.layout) == ("mine", "EUR", "file")
    assert source.fields["context"] == "limit.context"


def test_no_drift_entry_is_an_error_saying_what_to_add(setup) -> None:  # type: ignore[no-untyped-def]
    site, _cat, _shas = setup
    site.write("tracker.yaml", "pages: ['services/api/*/_index*.md']\n")
    site.commit("none", "2025-03-02T00:00:00+00:00")
    done = CliRunner().invoke(cli, ["drift", "--repo", str(site.root)])
    assert done.exit_code == 1 and "add a drift: entry" in done.stderr


def test_a_page_the_catalogue_has_no_service_for_and_a_broken_record_are_named(
        setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, cat, _shas = setup
    site.write("services/api/ghost/_index.md", YUAN_PAGE.replace("Yuan", "Ghost"))
    site.commit("Ghost", "2025-03-02T00:00:00+00:00")
    cat.write("providers/lumen/models/lumen-small.toml", "[limit\ncontext = 1\n")
    cat.commit("A broken record", "2025-04-01T00:00:00+00:00")
    done = CliRunner().invoke(cli, ["drift", "--repo", str(site.root)])
    assert done.exit_code == 0 and "Traceback" not in done.output
    assert "warning: models.dev has no service 'ghost'; map it under drift[].services" \
        in done.stderr
    assert "warning: models.dev: providers/lumen/models/lumen-small.toml does not read at the " \
           "checkout's HEAD; its last good version is compared" in done.stderr
    assert "lumen-small: value: Context length 32,768 on the page, 65,536 in models.dev" \
        in done.stdout  # the last good version
