#!/usr/bin/env bash
# Builds an earlier release of this repository, from git, once, into
# ~/.cache/distributed-cache/releases/<commit>/, and prints the path of its
# dist/dataplane/main.js on stdout. Tests that run old and new processes side
# by side (a rolling upgrade) start that file. Progress goes to stderr.
#
# Usage:
#   hack/build-release.sh REV               build if needed, then print the path
#   hack/build-release.sh --print-path REV  print the path without building
#
# REV is anything git names a commit by (8a282b5, a tag). The tree comes from
# `git archive`, not a worktree, so nothing is registered in this checkout's
# .git and an emptied cache leaves nothing stale behind. It is built under a
# temporary name, renamed when complete, so the printed path exists only for
# a whole build and an interrupted one is started over.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HACK_DIR REPO_DIR="${HACK_DIR%/*}"
readonly RELEASES_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/distributed-cache/releases"

die() { echo "build-release: error: $*" >&2; exit 1; }
say() { echo "build-release: $*" >&2; }

print_only=false
if [[ "${1:-}" == "--print-path" ]]; then
  print_only=true
  shift
fi
[[ $# -eq 1 && "$1" != -* ]] || die "usage: $0 [--print-path] REV"

# The full commit id, so 8a282b5 and its tag build into one directory.
resolve() { git -C "$REPO_DIR" rev-parse --verify --quiet "$1^{commit}"; }
if ! commit="$(resolve "$1")"; then
  # A shallow clone (CI's may be one) lacks the older commit: fetch the history it left out.
  [[ "$(git -C "$REPO_DIR" rev-parse --is-shallow-repository)" == true ]] || die "'$1' names no commit in $REPO_DIR"
  say "'$1' is not in this shallow clone; fetching its history from origin"
  git -C "$REPO_DIR" fetch --quiet --unshallow origin >&2 || die "'$1' names no commit in this shallow clone, and fetching its history from origin failed"
  commit="$(resolve "$1")" || die "'$1' names no commit in $REPO_DIR, even with its whole history"
fi
readonly DIR="$RELEASES_DIR/$commit"
readonly MAIN="$DIR/dist/dataplane/main.js"

if $print_only; then
  echo "$MAIN"
  exit 0
fi

mkdir -p "$RELEASES_DIR"
# Concurrent callers wait here and then find it built.
exec 9>"$RELEASES_DIR/$commit.lock"
flock 9
if [[ -f "$MAIN" ]]; then
  say "release ${commit:0:12} already built: $DIR"
else
  command -v npm >/dev/null 2>&1 || die "'npm' is not on PATH"
  say "building release ${commit:0:12} ($(git -C "$REPO_DIR" log -1 --format=%s "$commit" | cut -c1-60)) into $DIR"
  started=$SECONDS
  rm -rf "$DIR" "$DIR.partial"
  mkdir -p "$DIR.partial"
  git -C "$REPO_DIR" archive --format=tar "$commit" | tar -x -C "$DIR.partial"
  # At the lowest priority: these 2-core machines are shared with tests.
  (cd "$DIR.partial" && nice -n 19 npm ci --no-audit --no-fund --prefer-offline >&2) \
    || die "npm ci of release ${commit:0:12} failed (see output above)"
  (cd "$DIR.partial" && nice -n 19 npm run build --silent >&2) \
    || die "npm run build of release ${commit:0:12} failed (see output above)"
  [[ -f "$DIR.partial/dist/dataplane/main.js" ]] || die "release ${commit:0:12} built no dist/dataplane/main.js"
  mv "$DIR.partial" "$DIR"
  say "release ${commit:0:12} built in $((SECONDS - started))s"
fi
exec 9>&-
echo "$MAIN"
