#!/bin/bash
# A speed-only change must write the same bytes: `tracker update` from scratch with each src
# (e.g. `git archive <rev> src | tar -x -C DIR`) on a fresh clone of REPO, then `diff -r` of every
# file both runs leave (untracked included; symlinks compared as links, not followed), except
# facts.jsonl and events.cache.jsonl, whose first line is keyed to the code's digest.
# usage: bench/same_outputs.sh OLD_SRC NEW_SRC REPO [tracker.yaml]
set -euo pipefail
old=$1 new=$2 repo=$3 config=${4:-}
py=${PY:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python}
work=$(mktemp -d /tmp/same.XXXX)
for side in old new; do
  src=$old; [ $side = new ] && src=$new
  git clone -q "$repo" "$work/$side"
  [ -n "$config" ] && cp "$config" "$work/$side/tracker.yaml"
  (cd "$work/$side" && PYTHONPATH=$src $py -m tracker update --quiet >/dev/null 2>"$work/$side.err") || { echo "$side failed:"; cat "$work/$side.err"; exit 1; }
  rm -rf "$work/$side/.git"
  find "$work/$side" \( -name 'facts.jsonl' -o -name 'events.cache.jsonl' \) -delete
done
if diff -r -q --no-dereference "$work/old" "$work/new"; then echo "SAME: every output byte-identical ($(find "$work/new" -type f | wc -l) files)"; rm -rf "$work"; else echo "DIFFERENT (kept in $work)"; exit 1; fi
