# The checkout kept no credentials, so only this step can push. The token reaches git through a
# credential helper that reads it from this step's environment: it is never on a command line, in
# a URL or in .git/config, and never printed.
authed() {
  git -c credential.helper= \
      -c 'credential.helper=!f() { test "$1" = get || exit 0; echo username=x-access-token; echo "password=${GITHUB_TOKEN}"; }; f' \
      "$@"
}
# Someone may push while this job runs: then rebase this commit on what they pushed and try again,
# a bounded number of times. Giving up loses nothing: their push started a run of its own (queued
# behind this one), which walks their commit and writes these outputs again.
branch="${GITHUB_REF_NAME}"
attempts=5
attempt=1
until authed push origin "HEAD:refs/heads/${branch}"; do
  if ! authed fetch --quiet origin "refs/heads/${branch}"; then
    echo "::error::could not push to ${branch}, nor fetch it (see git's message above)"
    exit 1
  fi
  if git merge-base --is-ancestor FETCH_HEAD HEAD; then
    echo "::error::git push to ${branch} failed though nobody else pushed (see git's message above): check the branch's protection rules and that workflows may write contents"
    exit 1
  fi
  if [ "${attempt}" -ge "${attempts}" ]; then
    echo "::error::gave up pushing to ${branch} after ${attempts} attempts: it moved each time. Nothing is lost: the run of the newest push writes these outputs again."
    exit 1
  fi
  attempt=$((attempt + 1))
  echo "${branch} moved while this job ran: rebasing on it (attempt ${attempt} of ${attempts})."
  if ! git rebase --quiet FETCH_HEAD; then
    conflicts="$(git diff --name-only --diff-filter=U | paste -sd, -)"
    git rebase --abort
    echo "::error::this run's commit conflicts with what was pushed to ${branch} meanwhile (${conflicts}); nothing was pushed. The run of that push writes these outputs again."
    exit 1
  fi
done
