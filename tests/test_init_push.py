"""The push step ``tracker init`` writes, run as GitHub runs it against a real bare repository.

The job is a clone of the bare repository (the checkout); its steps' scripts are taken from the
written workflow and run with ``bash -e``. Someone else's push is injected at named points: between
the commit step and the push step, or from the job clone's ``pre-push`` hook (git runs it after it
has read the remote's branch and before it sends the update), so no test depends on timing.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.init import DIGEST_WORKFLOW, UPDATE_WORKFLOW, init_site

INSTALL = "tracker @ git+https://example.org/tracker.git@0123456789abcdef0123456789abcdef01234567"
TOKEN = "ghs_0123456789abcdefTOKEN"  # what GitHub would put in github.token
DATE = "2025-11-17T09:00:00+08:00"
OUTPUT = "history/events/2025-11.yaml"


def git_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {**env, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_DATE": DATE, "GIT_COMMITTER_DATE": DATE, "GIT_TERMINAL_PROMPT": "0",
            **extra}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org",
                           *args], cwd=cwd, env=git_env(), check=True, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    return done.stdout.strip()


def workflow_steps(root: Path, workflow: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((root / workflow).read_text(encoding="utf-8"))
    (job,) = data["jobs"].values()
    return {step.get("name", step.get("uses")): step for step in job["steps"]}


@dataclass
class Run:
    returncode: int
    output: str
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Remote:
    """A bare repository with a branch main, someone else's clone of it, and the job's clone."""

    bare: Path
    other: Path
    job: Path
    steps: dict[str, dict[str, Any]]
    injected: int = 0

    def inject(self, path: str = "services/api/acme/_index.md") -> str:
        """Someone else pushes a commit to main."""
        self.injected += 1
        git(self.other, "pull", "-q", "--rebase", "origin", "main")
        target = self.other / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"edit {self.injected}\n", encoding="utf-8")
        git(self.other, "add", "-A")
        git(self.other, "commit", "-q", "-m", f"someone else's edit {self.injected}")
        git(self.other, "push", "-q", "origin", "HEAD:main")
        return git(self.other, "rev-parse", "HEAD")

    def step(self, name: str, **env: str) -> Run:
        """Run a step's script in the job's clone, as GitHub does (bash -e, GITHUB_* set)."""
        outputs = self.job.parent / "github_output"
        outputs.write_text("", encoding="utf-8")
        script = self.steps[name]["run"]
        done = subprocess.run(["bash", "-e", "-c", script], cwd=self.job,
                              env=git_env(GITHUB_OUTPUT=str(outputs), GITHUB_REF_NAME="main",
                                          **env),
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        pairs = [line.split("=", 1) for line in outputs.read_text("utf-8").splitlines()]
        return Run(done.returncode, done.stdout + done.stderr, dict(pairs))

    def push(self, token: str = TOKEN) -> Run:
        return self.step("Push the commit", GITHUB_TOKEN=token)

    def pre_push_injects(self, times: int) -> None:
        """The job's next ``times`` pushes each meet a commit pushed after git read the branch."""
        count = self.job.parent / "pre-push-count"
        count.write_text("0", encoding="utf-8")
        hook = self.job / ".git" / "hooks" / "pre-push"
        # a hook runs with git's GIT_DIR set for the job's clone: the other clone must not see it
        hook.write_text(f"""#!/bin/sh
cat >/dev/null
n=$(cat '{count}')
[ "$n" -lt {times} ] || exit 0
echo $((n + 1)) > '{count}'
unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE GIT_PREFIX
cd '{self.other}'
git pull -q --rebase origin main
echo "race $n" > race.txt
git add race.txt
git -c user.name=Bo -c user.email=bo@example.org commit -q -m "pushed during the job's push $n"
git push -q origin HEAD:main
""", encoding="utf-8")
        hook.chmod(0o755)

    def log(self) -> list[str]:
        return git(self.bare, "log", "--format=%s", "main").splitlines()


def make_remote(tmp_path: Path, workflow: Path = UPDATE_WORKFLOW) -> Remote:
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True,
                   env=git_env())
    seed = tmp_path / "seed"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True, env=git_env())
    init_site(seed, install=INSTALL)
    (seed / "services/api/acme").mkdir(parents=True)
    (seed / "services/api/acme/_index.md").write_text("---\ntitle: Acme\n---\n", "utf-8")
    (seed / "history/events").mkdir(parents=True)
    (seed / OUTPUT).write_text("[]\n", encoding="utf-8")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "a site")
    git(seed, "push", "-q", str(bare), "HEAD:main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(bare), str(other))
    job = tmp_path / "job"
    git(tmp_path, "clone", "-q", str(bare), str(job))  # the checkout: no credentials kept
    return Remote(bare, other, job, workflow_steps(job, workflow))


def commit_outputs(remote: Remote, step: str = "Commit the outputs") -> None:
    """What ``tracker update`` wrote, committed by the workflow's own commit step."""
    (remote.job / OUTPUT).write_text("- id: ev1\n", encoding="utf-8")
    run = remote.step(step)
    assert run.returncode == 0, run.output
    assert run.outputs == {"committed": "true"}  # so the push step runs


def test_a_push_between_the_checkout_and_the_push_is_rebased_on(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    commit_outputs(remote)
    theirs = remote.inject()  # lands after the job's fetch, before its push
    run = remote.push()
    assert run.returncode == 0, run.output
    assert "main moved while this job ran: rebasing on it (attempt 2 of 5)." in run.output
    assert remote.log() == ["chore(tracker): update changelogs, feeds and history",
                            "someone else's edit 1", "a site"]
    assert git(remote.bare, "rev-parse", "main^") == theirs  # on top of theirs, no merge
    message = git(remote.bare, "log", "-1", "--format=%B", "main")
    assert message.rstrip().endswith("Tracker: skip")  # still not walked
    assert git(remote.bare, "show", f"main:{OUTPUT}") == "- id: ev1"
    assert git(remote.bare, "show", "main:services/api/acme/_index.md") == "edit 1"
    assert TOKEN not in run.output


def test_a_push_during_the_push_is_rebased_on(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    commit_outputs(remote)
    remote.pre_push_injects(times=2)
    run = remote.push()
    assert run.returncode == 0, run.output
    assert "failed to update ref" in run.output  # the bare repository really refused it
    assert "(attempt 3 of 5)" in run.output and "(attempt 4" not in run.output
    assert remote.log() == ["chore(tracker): update changelogs, feeds and history",
                            "pushed during the job's push 1", "pushed during the job's push 0",
                            "a site"]


def test_gives_up_after_five_attempts(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    commit_outputs(remote)
    remote.pre_push_injects(times=100)
    run = remote.push()
    assert run.returncode == 1
    assert "::error::gave up pushing to main after 5 attempts: it moved each time. Nothing is " \
           "lost: the run of the newest push writes these outputs again." in run.output
    assert "(attempt 5 of 5)" in run.output
    # five pushes tried, each beaten by another: nothing of the job's reached the branch
    assert remote.log() == [f"pushed during the job's push {n}" for n in range(4, -1, -1)] + \
        ["a site"]
    assert (tmp_path / "pre-push-count").read_text(encoding="utf-8").strip() == "5"


def test_a_conflicting_push_stops_with_nothing_pushed(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    commit_outputs(remote)
    ours = git(remote.job, "rev-parse", "HEAD")
    remote.inject(OUTPUT)  # someone edited the same output by hand meanwhile
    run = remote.push()
    assert run.returncode == 1
    assert f"::error::this run's commit conflicts with what was pushed to main meanwhile " \
           f"({OUTPUT}); nothing was pushed." in run.output
    assert remote.log() == ["someone else's edit 1", "a site"]
    # the rebase was undone, not left half-way
    assert git(remote.job, "rev-parse", "HEAD") == ours
    assert git(remote.job, "status", "--porcelain") == ""


def test_a_refused_push_that_is_no_race_is_not_retried(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    commit_outputs(remote)
    hook = remote.bare / "hooks" / "pre-receive"  # a branch protection rule, say
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    run = remote.push()
    assert run.returncode == 1
    assert "main is protected" in run.output
    assert "::error::git push to main failed though nobody else pushed (see git's message " \
           "above)" in run.output
    assert run.output.count("main is protected") == 1 and "rebasing" not in run.output
    assert remote.log() == ["a site"]


def test_the_digest_workflow_pushes_the_same_way(tmp_path: Path) -> None:
    remote = make_remote(tmp_path, DIGEST_WORKFLOW)
    commit_outputs(remote, "Remember the sent week")
    remote.inject()
    run = remote.push()
    assert run.returncode == 0, run.output
    assert remote.log() == ["chore(tracker): record the digest sent", "someone else's edit 1",
                            "a site"]


def test_nothing_to_commit_skips_the_push(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    run = remote.step("Commit the outputs")
    assert run.returncode == 0 and "Nothing changed." in run.output
    assert run.outputs == {}  # the push step's condition is false


# -- the token, over a real smart-HTTP git server on loopback -----------------------------------

@dataclass
class Server:
    url: str
    authorizations: list[str]


@pytest.fixture
def http_remote(tmp_path: Path) -> Iterator[tuple[Remote, Server]]:
    """The bare repository served by ``git http-backend``; only x-access-token:TOKEN may use it."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    remote = make_remote(tmp_path)
    seen: list[str] = []
    expected = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        seen.append(authorization)
        if authorization != expected:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"'),
                                                ("Content-Length", "0")])
            return []
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        cgi = {"GIT_PROJECT_ROOT": str(tmp_path), "GIT_HTTP_EXPORT_ALL": "1",
               "REMOTE_USER": "x-access-token", "REMOTE_ADDR": "127.0.0.1",
               "PATH": os.environ["PATH"]}
        for key in ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE",
                    "HTTP_CONTENT_ENCODING", "HTTP_GIT_PROTOCOL"):
            if environ.get(key):
                cgi[key] = environ[key]
        cgi["CONTENT_LENGTH"] = str(len(body))
        done = subprocess.run(["git", "http-backend"], input=body, env=cgi,
                              capture_output=True, check=True)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = "200 OK", []
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(": ")
            if name.lower() == "status":
                status = value
            else:
                headers.append((name, value))
        start_response(status, headers)
        return [payload]

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/origin.git"
    git(remote.job, "remote", "set-url", "origin", url)
    try:
        yield remote, Server(url, seen)
    finally:
        server.shutdown()
        server.server_close()


def test_the_push_authenticates_with_the_token_of_its_step_alone(
        http_remote: tuple[Remote, Server]) -> None:
    remote, server = http_remote
    commit_outputs(remote)
    remote.inject()  # so the fetch for the rebase must authenticate too
    run = remote.push()
    assert run.returncode == 0, run.output
    assert remote.log()[0] == "chore(tracker): update changelogs, feeds and history"
    sent = {a for a in server.authorizations if a}
    assert sent == {"Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()}
    assert TOKEN not in run.output
    # nothing kept for a later step: not in the clone's configuration, not in the remote's URL
    assert TOKEN not in (remote.job / ".git" / "config").read_text(encoding="utf-8")
    assert git(remote.job, "remote", "get-url", "origin") == server.url
    # and without the step's token the server refuses the job
    (remote.job / OUTPUT).write_text("- id: ev2\n", encoding="utf-8")
    git(remote.job, "commit", "-q", "-am", "more")
    refused = remote.push(token="")
    assert refused.returncode == 1
    assert "::error::could not push to main, nor fetch it" in refused.output
    assert remote.log()[0] == "chore(tracker): update changelogs, feeds and history"
