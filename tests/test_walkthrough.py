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

from conftest import PAGES, GitRepo
from test_digest_images import CHROMIUM, chromium_or_skip
from test_init import INSTALL, cli_run, content_and_project
from tracker import init as init_module
from tracker.init import install_spec


def test_init_names_files_of_the_hugo_project_without_detours(tmp_path: Path) -> None:
    content, project = content_and_project(tmp_path)
    result = cli_run("init", "--repo", str(content.root), "--install", INSTALL,
                     "--hugo-config", "../site/hugo.yaml")
    assert result.exit_code == 0, result.output
    assert f"wrote {project / 'layouts/partials/custom/head-end.html'}\n" in result.output
    assert "/../" not in result.output  # was: wrote /…/content/../site/layouts/…
