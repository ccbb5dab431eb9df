"""What a new user met trying the merged tracker end to end on the real site's layout (a content
repository, its Hugo project beside it): each test is one surprise of that walkthrough, through
the real CLI on a real git repository, so it cannot come back unseen."""

from __future__ import annotations

import json
import struct
import zlib
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import PAGES, GitRepo
from test_digest_images import CHROMIUM, chromium_or_skip
from test_init import INSTALL, cli_run, content_and_project
from test_mail import Inbox, start
from tracker import init as init_module
from tracker.cli import cli
from tracker.init import install_spec


def adopted(tmp_path: Path) -> tuple[GitRepo, Path]:
    """The content repository adopted from the Hugo project beside it, as the README says."""
    content, project = content_and_project(tmp_path)
    result = cli_run("init", "--repo", str(content.root), "--install", INSTALL,
                     "--hugo-config", "../site/hugo.yaml")
    assert result.exit_code == 0, result.output
    content.commit("tracker init", "2025-01-05T11:00:00+08:00")
    return content, project


def test_init_names_files_of_the_hugo_project_without_detours(tmp_path: Path) -> None:
    content, project = content_and_project(tmp_path)
    result = cli_run("init", "--repo", str(content.root), "--install", INSTALL,
                     "--hugo-config", "../site/hugo.yaml")
    assert result.exit_code == 0, result.output
    assert f"wrote {project / 'layouts/partials/custom/head-end.html'}\n" in result.output
    assert "/../" not in result.output  # was: wrote /…/content/../site/layouts/…


def test_init_drift_on_an_adopted_repository_does_not_ask_for_the_stated_hugo_values(
        tmp_path: Path) -> None:
    content, _project = adopted(tmp_path)
    # later, from the content repository alone (no Hugo project named): add the drift check
    result = cli_run("init", "--repo", str(content.root), "--install", INSTALL,
                     "--drift", "models.dev")
    assert result.exit_code == 0, result.output
    assert "wrote .github/workflows/tracker-drift.yml" in result.output
    # the hugo: block init wrote the first time is there: links do follow the site's languages
    assert "links cannot follow" not in result.stderr, result.stderr
    assert "fill in and uncomment" not in result.stderr
    assert "its feed links partial was not written" in result.stderr  # still true of this run


def test_a_content_repository_with_no_hugo_values_is_still_told_to_state_them(
        tmp_path: Path) -> None:
    content, _project = content_and_project(tmp_path)
    result = cli_run("init", "--repo", str(content.root), "--install", INSTALL)
    assert result.exit_code == 0, result.output
    assert "no Hugo configuration here, so links cannot follow the site's languages" \
        in result.stderr


def test_init_drift_from_a_local_checkout_names_what_the_workflows_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content, _project = adopted(tmp_path)
    # this tracker installed from a local checkout, as `pip install ./tracker` records it
    local = json.dumps({"url": "file:///home/me/tracker", "dir_info": {}})
    monkeypatch.setattr(init_module, "default_install", lambda: install_spec(local))
    result = cli_run("init", "--repo", str(content.root), "--drift", "models.dev")
    assert result.exit_code == 1
    assert "which CI cannot install from" in result.stderr
    assert f'.github/workflows/tracker.yml installs {INSTALL}: to install the same, pass ' \
           f'--install "{INSTALL}"' in result.stderr
    assert not (content.root / ".github/workflows/tracker-drift.yml").exists()
    # a site with no workflow yet gets the general hint only
    fresh, _ = content_and_project(tmp_path / "fresh")
    result = cli_run("init", "--repo", str(fresh.root))
    assert result.exit_code == 1 and "installs tracker @" not in result.stderr
    assert '--install "tracker @ git+https://github.com/<you>/tracker@<commit>"' \
        in result.stderr


def test_render_with_a_page_left_as_it_is_does_not_say_every_output_matches(
        repo: GitRepo) -> None:
    page = "services/api/acme/_index.md"
    repo.write(page, (PAGES / "acme.md").read_text(encoding="utf-8"))
    repo.commit("acme", "2025-01-05T10:00:00+08:00")
    assert cli_run("update", "--repo", str(repo.root), "-q").exit_code == 0
    repo.commit("outputs\n\nTracker: skip", "2025-01-05T11:00:00+08:00")
    assert "every output already matches" in cli_run("render", "--repo", str(repo.root)).output
    repo.replace(page, "<!-- tracker:changelog:end -->\n", "")  # a stray begin marker
    for args in (["render"], ["render", "--dry-run"]):
        result = cli_run(*args, "--repo", str(repo.root))
        assert result.exit_code == 0, result.output
        assert "every output already matches" not in result.stdout
        assert "nothing else to change: every other output already matches the ledger" \
            in result.stdout
        assert f"{page}:" in result.stderr and "the page was left as it is" in result.stderr


def test_snapshot_names_a_service_as_every_output_does_after_an_seo_title(
        repo: GitRepo) -> None:
    page = "services/api/groq/_index.md"
    text = (PAGES / "acme.md").read_text(encoding="utf-8")
    text = text.replace("**服务名称：** Acme Inference API  \n", "")  # only the title names it
    repo.write(page, text.replace('title: "Acme Inference API"', 'title: "Groq - API"'))
    repo.commit("groq", "2025-01-06T10:00:00+08:00")
    assert cli_run("update", "--repo", str(repo.root), "-q").exit_code == 0
    repo.commit("outputs\n\nTracker: skip", "2025-01-06T11:00:00+08:00")
    repo.replace(page, 'title: "Groq - API"', 'title: "Groq API 免费额度（2026）全网最快推理"')
    repo.commit("SEO", "2025-01-07T10:00:00+08:00")
    assert cli_run("update", "--repo", str(repo.root), "-q").exit_code == 0
    names = {e["service_name"] for e in
             json.loads(cli_run("log", "--repo", str(repo.root), "--format", "json").output)}
    assert names == {"Groq API"}
    for rev in ("HEAD", "HEAD~2"):
        result = cli_run("snapshot", "--repo", str(repo.root), "--rev", rev)
        assert result.exit_code == 0, result.output
        assert [s["name"] for s in json.loads(result.stdout)] == ["Groq API"]


def canvas_pixel(png: bytes) -> tuple[int, ...]:
    """The one pixel of a 1×1 screenshot (8-bit RGB or RGBA; every PNG filter leaves the first
    pixel of the first row as it is)."""
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(png):  # the image data may come in several IDAT chunks: one stream
        (length,) = struct.unpack(">I", png[at:at + 4])
        kind = png[at + 4:at + 8]
        chunks[kind] = chunks.get(kind, b"") + png[at + 8:at + 8 + length]
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (width, height, depth) == (1, 1, 8) and colour in (2, 6)
    return tuple(zlib.decompress(chunks[b"IDAT"])[1:4])


def test_the_digest_html_is_readable_in_a_dark_mail_frame(repo: GitRepo, tmp_path: Path) -> None:
    sync_playwright: Any = chromium_or_skip()
    page = "services/api/acme/_index.md"
    repo.write(page, (PAGES / "acme.md").read_text(encoding="utf-8"))
    repo.commit("acme", "2025-01-06T10:00:00+08:00")
    repo.replace(page, "14,400 requests/day", "1,000 requests/day")
    repo.commit("cut", "2025-01-08T10:00:00+08:00")
    assert cli_run("update", "--repo", str(repo.root), "-q").exit_code == 0
    out = tmp_path / "digest"
    result = cli_run("digest", "--repo", str(repo.root), "--week", "2025-W02", "--out", str(out))
    assert result.exit_code == 0, result.output
    message = message_from_bytes((out / "2025-W02.eml").read_bytes(), policy=policy.default)
    body = message.get_body(("html",))
    assert body is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            # a mail client's frame under a dark theme: the message sets its text dark, so it
            # must set the light background it is written for, or it is dark on dark
            frame = browser.new_page(color_scheme="dark", viewport={"width": 900, "height": 600})
            frame.route("**/*", lambda route: route.abort())
            frame.set_content(body.get_content(), wait_until="load")
            beside = frame.screenshot(clip={"x": 4, "y": 300, "width": 1, "height": 1})
            under = frame.evaluate("getComputedStyle(document.body).backgroundColor")
        finally:
            browser.close()
    assert under == "rgb(255, 255, 255)"
    assert canvas_pixel(beside) == (255, 255, 255)  # the whole frame, not only the column


def test_drift_errors_name_the_configuration_where_it_is(tmp_path: Path) -> None:
    content, _project = adopted(tmp_path)  # .tracker/tracker.yaml, as on the real site
    shown = ".tracker/tracker.yaml"
    result = cli_run("drift", "--repo", str(content.root))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"tracker: {shown}: it names no catalogue to compare with")
    config = content.root / shown
    config.write_text(config.read_text(encoding="utf-8").replace(
        "drift: []", "drift: [{name: models.dev, path: ../models.dev, preset: models-dev}]"),
        encoding="utf-8")
    for command in (["drift"], ["check", "--drift"]):
        result = cli_run(*command, "--repo", str(content.root))
        assert result.exit_code == 1
        assert f"tracker: {shown}: the checkout of models.dev is not there: " \
               f"{tmp_path / 'models.dev'} (clone the catalogue to ../models.dev" in result.stderr


def test_a_digest_not_sent_names_the_option_that_sends_it(repo: GitRepo) -> None:
    page = "services/api/acme/_index.md"
    repo.write(page, (PAGES / "acme.md").read_text(encoding="utf-8"))
    repo.commit("acme", "2025-01-06T10:00:00+08:00")
    assert cli_run("update", "--repo", str(repo.root), "-q").exit_code == 0
    inbox = Inbox()
    controller = start(inbox)
    try:
        env = {"TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(controller.port),
               "TRACKER_SMTP_TO": "reader@example.com", "TRACKER_SMTP_SECURITY": "none"}

        def send(week: str) -> str:
            result = CliRunner(env=env).invoke(cli, ["digest", "--repo", str(repo.root),
                                                     "--week", week, "--send"])
            assert result.exit_code == 0, result.output
            return result.stdout

        assert send("2025-W02").splitlines()[-1] == "sent"
        assert "2025-W02 was already sent (--force sends it again)" in send("2025-W02")
        assert "no changes in 2025-W03; nothing sent (--send-empty sends it anyway)" \
            in send("2025-W03")
        assert len(inbox.envelopes) == 1
    finally:
        controller.stop()
