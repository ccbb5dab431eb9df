"""The ``hugo:`` block of tracker.yaml: a content-only repository (the real site's layout, its Hugo
project in another repository) states the few Hugo values links follow. They are validated at
load with their key path, give the same HugoSite a read configuration gives, and override a read
configuration key by key."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from conftest import PAGES, GitRepo
from tracker.cli import cli
from tracker.config import Config, HugoConfig, load_config
from tracker.errors import TrackerError
from tracker.hugo import read_hugo_site
from tracker.site import site_of

BASE = "https://free.example.org"
STATED = f"""hugo:
  baseURL: {BASE}/
  defaultContentLanguage: zh-cn
  defaultContentLanguageInSubdir: true
  languages: [zh-cn, en]
"""
HUB = "---\ntitle: 服务\n---\n\n<!-- tracker:updates:begin -->\n<!-- tracker:updates:end -->\n"
HUB_EN = "---\ntitle: Services\n---\n\n<!-- tracker:updates:begin -->\n<!-- tracker:updates:end -->\n"


def invoke(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def content_repo(repo: GitRepo, tracker_yaml: str) -> str:
    """A content-only repository: pages at services/api/ at its root, no Hugo configuration."""
    acme = (PAGES / "acme.md").read_text(encoding="utf-8")
    repo.write("tracker.yaml", tracker_yaml)
    repo.write("services/api/_index.md", HUB)
    repo.write("services/api/_index.en.md", HUB_EN)
    repo.write("services/api/acme/_index.md", acme)
    repo.write("services/api/acme/_index.en.md", (PAGES / "acme.en.md").read_text("utf-8"))
    repo.write("services/api/zhonly/_index.md", acme.replace("Acme", "Zhonly"))
    repo.commit("the content", "2025-01-05T10:00:00+08:00")
    for path in ("services/api/acme/_index.md", "services/api/zhonly/_index.md"):
        repo.replace(path, "14,400 requests/day", "1,000 requests/day")
    repo.commit("cut", "2025-03-05T10:00:00+08:00")
    return invoke("update", "--repo", str(repo.root), "-q")  # what it said


def block_links(text: str) -> list[str]:
    blocks = re.findall(r"<!-- tracker:\w+:begin -->(.*?)<!-- tracker:\w+:end -->", text, re.S)
    return [link for block in blocks for link in re.findall(r"\]\((/[^)\s]*)\)", block)]


def test_content_only_repository_links_follow_the_stated_values(repo: GitRepo,
                                                                 tmp_path: Path) -> None:
    content_repo(repo, STATED)
    hub = repo.read("services/api/_index.md")
    hub_en = repo.read("services/api/_index.en.md")
    assert "(/zh-cn/services/api/acme/)" in hub and "(/zh-cn/services/api/zhonly/)" in hub
    assert "(/en/services/api/acme/)" in hub_en  # the English page exists
    assert "(/zh-cn/services/api/zhonly/)" in hub_en  # none in English: the Chinese one
    page_links = block_links(repo.read("services/api/acme/_index.md"))
    assert page_links and all(link.startswith("/zh-cn/") for link in page_links), page_links
    en_links = block_links(repo.read("services/api/acme/_index.en.md"))
    assert en_links and all(link.startswith("/en/") for link in en_links), en_links

    atom = feedparser.parse((repo.root / "feeds/atom.xml").read_bytes())
    self_link = [lk["href"] for lk in atom.feed.links if lk["rel"] == "self"]
    assert self_link == [f"{BASE}/zh-cn/feeds/atom.xml"]  # Hugo serves the content's feeds/
    assert atom.feed.link == f"{BASE}/zh-cn/"
    entry_links = {entry.link for entry in atom.entries}
    assert f"{BASE}/zh-cn/services/api/acme/" in entry_links
    assert f"{BASE}/zh-cn/services/api/zhonly/" in entry_links

    out = tmp_path / "digest"
    invoke("digest", "--repo", str(repo.root), "--week", "2025-W10", "--out", str(out))
    digest = (out / "2025-W10.html").read_text(encoding="utf-8")
    linked = set(re.findall(re.escape(BASE) + r"/[^\s\"<>]*", digest))
    assert f"{BASE}/zh-cn/services/api/acme/" in linked
    # the site's own address (Hugo's root redirects to /zh-cn/), else all under /zh-cn/
    assert all(link.startswith(f"{BASE}/zh-cn/") for link in linked - {f"{BASE}/"}), linked


def test_without_the_block_the_links_are_as_before(repo: GitRepo) -> None:
    content_repo(repo, "site_url: https://free.example.org\n")
    assert "(/services/api/acme/)" in repo.read("services/api/_index.md")
    atom = (repo.root / "feeds/atom.xml").read_text(encoding="utf-8")
    assert "https://free.example.org/services/api/acme/" in atom and "/zh-cn/" not in atom


def hugo_project(root: Path, config: str) -> None:
    (root / "hugo.yaml").write_text(config, encoding="utf-8")


READ = """baseURL: https://read.example.org/
defaultContentLanguage: zh-cn
defaultContentLanguageInSubdir: true
languages:
  zh-cn: {weight: 1}
  en: {weight: 2}
"""


def test_read_and_stated_values_give_the_same_site(tmp_path: Path) -> None:
    hugo_project(tmp_path, READ)
    read = read_hugo_site(tmp_path)
    stated = read_hugo_site(tmp_path / "elsewhere", stated=HugoConfig(
        baseURL="https://read.example.org/", defaultContentLanguage="zh-cn",
        defaultContentLanguageInSubdir=True, languages={"zh-cn": {"weight": 1}, "en": None}))
    listed = read_hugo_site(tmp_path / "elsewhere", stated=HugoConfig(
        baseURL="https://read.example.org/", defaultContentLanguage="zh-cn",
        defaultContentLanguageInSubdir=True, languages=["zh-cn", "en"]))
    assert read is not None and stated is not None
    assert stated == listed
    same = ("base_url", "default_language", "in_subdir", "languages")
    assert {k: getattr(read, k) for k in same} == {k: getattr(stated, k) for k in same}
    assert stated.content_dir == "" and stated.site_dir is None  # the repository is the content
    assert stated.config_path == "tracker.yaml"


def test_stated_values_override_the_read_ones_key_by_key(tmp_path: Path) -> None:
    hugo_project(tmp_path, READ)
    (tmp_path / "tracker.yaml").write_text(
        "hugo:\n  baseURL: https://stated.example.org\n  defaultContentLanguageInSubdir: false\n",
        encoding="utf-8")
    site = site_of(load_config(tmp_path))
    assert site is not None
    assert site.base_url == "https://stated.example.org"  # stated
    assert site.in_subdir is False  # stated
    assert site.default_language == "zh-cn" and site.languages == ("zh-cn", "en")  # read
    assert site.config_path == "hugo.yaml" and site.content_dir == "content"


def test_the_site_is_read_once_per_configuration_and_not_kept_in_it(tmp_path: Path) -> None:
    """tracker.site reads the Hugo site once for a loaded configuration; the configuration
    itself holds settings only, so a copy for another folder reads that folder's site."""
    hugo_project(tmp_path, READ)
    config = load_config(tmp_path)
    first = site_of(config)
    assert first is not None and site_of(config) is first  # read once
    (tmp_path / "hugo.yaml").write_text("baseURL: https://changed.example.org/\n",
                                        encoding="utf-8")
    assert site_of(config) is first  # not read again within the run
    assert [f.name for f in fields(Config) if f.metadata.get("internal")] == ["root"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert site_of(replace(config, root=elsewhere)) is None  # no Hugo site there
    reloaded = site_of(load_config(tmp_path))  # the next run reads it afresh
    assert reloaded is not None and reloaded.base_url == "https://changed.example.org"


def test_a_missing_hugo_config_with_the_block_warns_and_uses_the_block(repo: GitRepo) -> None:
    said = content_repo(repo, "hugo_config: ../project/hugo.yaml\n" + STATED)
    assert "(/zh-cn/services/api/acme/)" in repo.read("services/api/_index.md")
    assert "'hugo_config' names '../project/hugo.yaml', which does not exist: using the " \
           "values under 'hugo:' alone" in said


def test_a_missing_hugo_config_without_the_block_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tracker.yaml").write_text("hugo_config: ../project/hugo.yaml\n",
                                           encoding="utf-8")
    with pytest.raises(TrackerError, match="does not exist"):
        site_of(load_config(tmp_path))


@pytest.mark.parametrize(("block", "message"), [
    ("baseURL: free.example.org", "'hugo.baseURL' must be an http(s) address"),
    ("baseURL: 42", "'hugo.baseURL' must be a string"),
    ("defaultContentLanguageInSubdir: yes please", "'hugo.defaultContentLanguageInSubdir' must "
                                                   "be true or false"),
    ("languages: zh-cn", "'hugo.languages' must be a list of language keys or a mapping"),
    ("languages: []", "'hugo.languages' is empty"),
    ("languages: [zh-cn, 'e n']", "'hugo.languages[1]' must be a language key"),
    ("languages: [en, EN]", "'hugo.languages' names a language twice"),
    ("languages: {en: 2}", "'hugo.languages.en' must be Hugo's language settings"),
    ("languages: {en: {contentDir: content/en}}", "'hugo.languages.en.contentDir' is not "
                                                  "supported"),
    ("{defaultContentLanguage: zh-cn, languages: [zh, en]}",
     "'hugo.defaultContentLanguage' is 'zh-cn', which 'hugo.languages' does not list"),
    ("contentDir: ../site", "'hugo.contentDir' must be a folder inside the repository"),
    ("baseurl: https://x.example", "unknown key 'hugo.baseurl'"),
])
def test_bad_values_are_rejected_at_load_with_their_key(tmp_path: Path, block: str,
                                                        message: str) -> None:
    text = f"hugo: {block}\n" if block.startswith("{") else f"hugo:\n  {block}\n"
    (tmp_path / "tracker.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(TrackerError) as info:
        load_config(tmp_path)
    assert message in str(info.value)
    assert str(info.value).startswith("tracker.yaml")


def test_a_bad_value_is_a_clear_cli_error(repo: GitRepo) -> None:
    repo.write("tracker.yaml", "hugo:\n  baseURL: free.example.org\n")
    repo.commit("config", "2025-01-05T10:00:00+08:00")
    output = invoke("update", "--repo", str(repo.root), code=1)
    assert "tracker.yaml: 'hugo.baseURL' must be an http(s) address" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(("path", "content", "expected"), [
    ("hugo.toml", b'baseURL = "https://x.example/"\ntitle = "caf\xe9"\n',
     "hugo.toml:2: the Hugo configuration is not UTF-8 text (byte 0xe9) (save it as UTF-8"),
    ("hugo.yaml", b"baseURL: https://x.example/\nmodule: {mounts: 5}\n",
     "hugo.yaml: 'module.mounts' must be a list of mounts, not 5"),
    ("config/_default/languages.yaml", b"en:\n  weight: 1\n weight: 2\n",
     "config/_default/languages.yaml:3: cannot read the Hugo configuration"),
    ("config/_default/hugo.toml", b'baseURL = "https://x.example/"\nbaseURL = 1\n',
     "config/_default/hugo.toml:2: cannot read the Hugo configuration"),
    ("hugo.json", b'{"baseURL": "https://x.example/",\n "title": }\n',
     "hugo.json:2: cannot read the Hugo configuration"),
])
def test_a_broken_hugo_configuration_is_a_clear_cli_error_naming_file_and_line(
        repo: GitRepo, path: str, content: bytes, expected: str) -> None:
    repo.write("tracker.yaml", "site_url: https://x.example\n")
    repo.write(path, content)
    repo.commit("a broken Hugo configuration", "2025-01-05T10:00:00+08:00")
    result = CliRunner().invoke(cli, ["update", "--repo", str(repo.root)])
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, (TypeError, UnicodeDecodeError)), result.exception
    assert expected in result.output, result.output
    assert "fix it so hugo builds" in result.output or "as hugo reads it" in result.output
