"""A real Hugo build of a site set up by `tracker init` and run through `tracker update`, in the
two layouts sites use: a Hugo project with a content/ folder, and a repository that is itself the
content (the real site: its Hugo project lives beside it and mounts it).

The site follows the real one: Chinese is the default language served under /zh-cn/
(defaultContentLanguageInSubdir), English under /en/, and one service has no English page. Every
link the tracker wrote (pages, updates blocks, feeds, digest, the feed-discovery partial) must
resolve to a built file; the ledger and tracker.yaml must not be published; each feed must be
served at its own self URL.

Then a reader's view: the built site served from loopback and opened in headless Chromium
(Debian's, driven by Playwright; no browser is downloaded), in the light and the dark colour
scheme. The theme is a minimal one written here, in our words, doing what Hextra does that
matters to the tracker's outputs: the feed partial in every <head>, Markdown images loaded
lazily, a colour scheme that follows the reader's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from click.testing import CliRunner

from conftest import PAGES, GitRepo
from tracker.cli import cli

pytestmark = pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not on PATH")

BASE = "https://free-llm.example.org"
INSTALL = "tracker @ git+https://example.org/tracker.git@" + "0" * 40
HUGO_CONFIG = f"""baseURL: {BASE}/
defaultContentLanguage: zh-cn
defaultContentLanguageInSubdir: true
languages:
  zh-cn:
    weight: 1
  en:
    weight: 2
"""
STYLE = ("<style>body { background: #ffffff; color: #111111 }\n"
         "@media (prefers-color-scheme: dark) { body { background: #111111; color: #eeeeee } }"
         "</style>")
LAYOUTS = {
    # a theme states the charset (a loopback server does not): else a browser reads Latin-1
    "_default/baseof.html": "<html><head><meta charset=\"utf-8\">"
                            "{{ partial \"custom/head-end.html\" . }}" + STYLE
                            + "</head><body><main>{{ block \"main\" . }}{{ end }}</main>"
                            "</body></html>\n",
    # Hextra loads a page's images lazily: a chart below the fold loads only when scrolled to
    "_default/_markup/render-image.html": "<img src=\"{{ .Destination | safeURL }}\" "
                                          "alt=\"{{ .Text }}\" loading=\"lazy\">",
    "_default/single.html": "{{ define \"main\" }}{{ .Content }}{{ end }}\n",
    "_default/list.html": "{{ define \"main\" }}{{ .Content }}{{ end }}\n",
    "index.html": "{{ define \"main\" }}home{{ end }}\n",
    "shortcodes/callout.html": "<div>{{ .Inner }}</div>\n",  # Hextra's, as far as we need it
}
MOUNT = """module:
  mounts:
    - source: ../site
      target: content
"""
HUB = "---\ntitle: 服务\n---\n\n<!-- tracker:updates:begin -->\n<!-- tracker:updates:end -->\n"
HUB_EN = "---\ntitle: Services\n---\n\n<!-- tracker:updates:begin -->\n<!-- tracker:updates:end -->\n"


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def build_site(tmp_path: Path, layout: str) -> tuple[GitRepo, Path, Path]:
    """(the repository, the Hugo project folder, the content folder) with a walked history."""
    repo = GitRepo(tmp_path / "site")
    if layout == "content-folder":
        project, content, prefix = repo.root, repo.root / "content", "content/"
        repo.write("hugo.yaml", HUGO_CONFIG)
    elif layout == "content-root":  # the repository is the content; the Hugo project beside it
        project, content, prefix = tmp_path / "project", repo.root, ""
        project.mkdir()
        (project / "hugo.yaml").write_text(HUGO_CONFIG + "contentDir: ../site\n",
                                           encoding="utf-8")
    else:  # "mounted": as the real site, a separate Hugo project mounts the content repository,
        # and CI checks out the content alone: tracker.yaml states the Hugo values itself, and
        # the Hugo project has no ignoreFiles rule (the maintainer forgot it)
        project, content, prefix = tmp_path / "project", repo.root, ""
        project.mkdir()
        (project / "hugo.yaml").write_text(HUGO_CONFIG + MOUNT, encoding="utf-8")
    for name, text in LAYOUTS.items():
        (project / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "layouts" / name).write_text(text, encoding="utf-8")
    acme = (PAGES / "acme.md").read_text(encoding="utf-8")
    repo.write(prefix + "_index.md", "---\ntitle: 首页\n---\n")
    repo.write(prefix + "_index.en.md", "---\ntitle: Home\n---\n")
    repo.write(prefix + "services/api/_index.md", HUB)
    repo.write(prefix + "services/api/_index.en.md", HUB_EN)
    repo.write(prefix + "services/api/acme/_index.md", acme)
    repo.write(prefix + "services/api/acme/_index.en.md",
               (PAGES / "acme.en.md").read_text(encoding="utf-8"))
    repo.write(prefix + "services/api/zhonly/_index.md", acme.replace("Acme", "Zhonly"))
    repo.commit("the site", "2025-01-05T10:00:00+08:00")
    options = [] if layout == "content-folder" else ["--hugo-config", "../project/hugo.yaml"]
    run("init", "--repo", str(repo.root), "--install", INSTALL, *options)
    if layout == "mounted":
        assert "ignoreFiles" in (project / "hugo.yaml").read_text(encoding="utf-8")
        (project / "hugo.yaml").write_text(HUGO_CONFIG + MOUNT, encoding="utf-8")
    repo.commit("tracker init", "2025-01-05T11:00:00+08:00")
    for path in (prefix + "services/api/acme/_index.md", prefix + "services/api/zhonly/_index.md"):
        repo.replace(path, "14,400 requests/day", "1,000 requests/day")
    repo.commit("cut", "2025-03-05T10:00:00+08:00")
    run("update", "--repo", str(repo.root), "-q")
    return repo, project, content


def hugo(project: Path, content: Path) -> Path:
    done = subprocess.run(["hugo", "--quiet", "--destination", str(project / "public")],
                          cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return project / "public"


def served(public: Path, url: str) -> Path:
    """The built file a link resolves to; fails the test when there is none."""
    parts = urlsplit(url)
    assert not parts.scheme or url.startswith(BASE + "/"), url
    path = unquote(parts.path)
    target = public / path.lstrip("/")
    if path.endswith("/"):
        target = target / "index.html"
    assert target.is_file(), f"{url} → {target.relative_to(public)} was not built"
    return target


@pytest.mark.parametrize("layout", ["content-folder", "content-root", "mounted"])
def test_every_link_resolves_on_the_built_site(tmp_path: Path, layout: str) -> None:
    repo, project, content = build_site(tmp_path, layout)
    public = hugo(project, content)
    links: set[str] = set()
    for page in content.rglob("*.md"):  # the links inside the blocks the tracker owns
        for block in re.findall(r"<!-- tracker:\w+:begin -->(.*?)<!-- tracker:\w+:end -->",
                                page.read_text(encoding="utf-8"), re.S):
            links |= set(re.findall(r"\]\((/[^)\s]*)\)", block))
    hub_en = (content / "services/api/_index.en.md").read_text(encoding="utf-8")
    assert "(/en/services/api/acme/)" in hub_en  # the English page exists
    assert "(/zh-cn/services/api/zhonly/)" in hub_en  # no English page: the Chinese one
    assert "Acme Inference API" in hub_en or "Acme" in hub_en
    assert "(/zh-cn/services/api/acme/)" in (content / "services/api/_index.md").read_text(
        encoding="utf-8")
    feeds = sorted(repo.root.glob("**/atom.xml"))
    feeds = [f for f in feeds if "public" not in f.parts]
    assert feeds, "no feed written"
    for feed_file in [f for f in repo.root.rglob("*") if f.suffix in (".xml", ".atom", ".rss")
                      and "public" not in f.parts and ".git" not in f.parts]:
        parsed = feedparser.parse(feed_file.read_bytes())
        self_links = [lk["href"] for lk in parsed.feed.get("links", []) if lk.get("rel") == "self"]
        for href in self_links:  # served at its own self URL, byte for byte
            assert served(public, href).read_bytes() == feed_file.read_bytes(), href
        links |= {lk["href"] for lk in parsed.feed.get("links", [])}
        for entry in parsed.entries:
            links.add(entry.link)
    digest_dir = tmp_path / "digest"
    run("digest", "--repo", str(repo.root), "--week", "2025-W10", "--out", str(digest_dir))
    for name in ("2025-W10.txt", "2025-W10.html"):
        links |= set(re.findall(re.escape(BASE) + r"/[^\s\"<>]*", (digest_dir / name).read_text(
            encoding="utf-8")))
    head = (project / "layouts/partials/custom/head-end.html").read_text(encoding="utf-8")
    discovery = re.findall(r'<link rel="alternate" type="[^"]+" title="[^"]*" href="([^"]+)"',
                           head)
    assert len(discovery) == 3
    built_head = (public / "zh-cn/index.html").read_text(encoding="utf-8")
    assert all(href in built_head for href in discovery)  # the theme includes the partial
    links |= set(discovery)
    assert len(links) > 10
    for link in sorted(links):
        served(public, link)
    published = {p.name for p in public.rglob("*")}
    assert "state.yaml" not in published and "tracker.yaml" not in published
    assert not any(p.suffix in (".yaml", ".jsonl") for p in public.rglob("*"))
    if layout != "content-folder":  # the repository is the content: its ledger is hidden
        assert (repo.root / ".tracker/history/state.yaml").is_file()
        assert (repo.root / ".tracker/tracker.yaml").is_file()
        assert not (repo.root / "history").exists() and not (repo.root / "tracker.yaml").exists()


def test_no_hugo_config_keeps_todays_links(repo: GitRepo) -> None:
    repo.write("services/api/acme/_index.md", (PAGES / "acme.md").read_text(encoding="utf-8"))
    repo.commit("acme", "2025-01-05T10:00:00+08:00")
    run("update", "--repo", str(repo.root), "-q")
    atom = (repo.root / "feeds/atom.xml").read_text(encoding="utf-8")
    assert 'href="https://example.org/feeds/atom.xml" rel="self"' in atom
    assert "https://example.org/services/api/acme/" in atom


def test_site_url_stays_an_override(tmp_path: Path) -> None:
    repo, project, content = build_site(tmp_path, "content-folder")
    repo.write("tracker.yaml", repo.read("tracker.yaml").replace(
        "site_url: https://example.org", "site_url: https://mirror.example.net"))
    run("render", "--repo", str(repo.root))
    atom = (repo.root / "static/feeds/atom.xml").read_text(encoding="utf-8")
    assert 'href="https://mirror.example.net/feeds/atom.xml"' in atom
    assert "https://mirror.example.net/zh-cn/services/api/acme/" in atom


# -- what a reader sees, in a real browser ---------------------------------------------------

def chromium() -> str | None:
    """Debian's chromium (or TRACKER_CHROMIUM); None when this machine has none."""
    for candidate in (os.environ.get("TRACKER_CHROMIUM"), shutil.which("chromium"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass


@contextmanager
def serve(public: Path) -> Iterator[str]:
    """The built site over HTTP on a loopback port chosen by the system; yields its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(public)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


LATEST = {"/zh-cn/services/api/acme/": "2025年3月： 每日请求数 14,400 → 1,000（-93%）",
          "/en/services/api/acme/": "March 2025: Requests per day 14,400 → 1,000 (-93%)"}
BACKGROUND = {"light": "rgb(255, 255, 255)", "dark": "rgb(17, 17, 17)"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_reader_sees_the_changes_the_chart_and_working_links(tmp_path: Path,
                                                               scheme: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                   "(it comes with the test extra: pip install -e '.[test]')")
    executable = chromium()
    if executable is None and os.environ.get("CI"):  # .ci/run installs it: never skip there
        pytest.fail("no chromium, though CI installs it (.ci/run)")
    if executable is None:
        pytest.skip("no chromium on this machine (apt-get install chromium, or set "
                    "TRACKER_CHROMIUM to its path)")
    _repo, project, content = build_site(tmp_path, "mounted")
    public = hugo(project, content)
    with serve(public) as origin, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        context = browser.new_context(color_scheme=scheme)
        request = context.request

        def status(url: str) -> int:
            """What the site answers for one of its own addresses, asked of the loopback
            server that stands in for it."""
            assert url.startswith(BASE + "/"), url
            return request.get(origin + url.removeprefix(BASE)).status

        # the site's address is answered from loopback: nothing leaves the machine
        context.route(BASE + "/**", lambda route: route.fulfill(
            response=request.get(origin + route.request.url.removeprefix(BASE))))
        page = context.new_page()
        for path, latest in LATEST.items():
            assert page.goto(BASE + path).status == 200
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == \
                BACKGROUND[scheme]
            chart = page.locator("main img[src*='/charts/']")
            assert chart.count() == 1
            # the changelog block's latest change: the first entry under its chart
            entry = page.locator(
                "xpath=//main//img[contains(@src, '/charts/')]/following::li[1]")
            assert entry.is_visible() and entry.inner_text() == latest
            chart.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=chart.element_handle(), timeout=15_000)
            assert chart.evaluate("img => img.naturalWidth") > 0
            feeds = page.eval_on_selector_all("head link[rel=alternate]",
                                              "links => links.map(link => link.href)")
            assert len(feeds) == 3 and all(status(href) == 200 for href in feeds), feeds
        assert page.goto(BASE + "/zh-cn/services/api/").status == 200
        links = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")
        assert len(links) >= 6, links  # four service lines, the OPML and the calendar
        assert {href: status(href) for href in links} == {href: 200 for href in links}
        browser.close()
