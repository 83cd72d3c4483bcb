#!/usr/bin/env bash
# Builds the linearizability checker in hack/porcupine (dcache-history-check)
# once, into ~/.cache/distributed-cache/porcupine/<key>/, and prints the
# binary's path on stdout. Progress goes to stderr.
#
# Usage:
#   hack/build-porcupine.sh               build if needed, then print the path
#   hack/build-porcupine.sh --print-path  print the path without building
#
# <key> hashes go.mod, go.sum, the .go sources and `go version`, so any change
# to the checker or the toolchain builds into a fresh directory. Computing it
# runs only `go version`, which keeps a cached run instant.
set -euo pipefail

MODULE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/porcupine" && pwd)"
readonly MODULE_DIR
readonly CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/distributed-cache/porcupine"
readonly NAME=dcache-history-check

die() { echo "build-porcupine: error: $*" >&2; exit 1; }
say() { echo "build-porcupine: $*" >&2; }

command -v go >/dev/null 2>&1 \
  || die "'go' is not on PATH; install Go >= 1.26 (the module's go directive) to build $NAME"

# The module pins everything; never let a parent go.work, a toolchain
# download or a go.mod rewrite change what gets built.
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=readonly

cache_key() {
  local f
  {
    # File names too, so a renamed or deleted source changes the key.
    for f in "$MODULE_DIR"/go.mod "$MODULE_DIR"/go.sum "$MODULE_DIR"/*.go; do
      echo "== ${f##*/}"
      cat "$f"
    done
    go version
  } | sha256sum | cut -c1-16
}

KEY="$(cache_key)"
readonly BIN="$CACHE_ROOT/$KEY/$NAME"

if [[ "${1:-}" == "--print-path" ]]; then
  echo "$BIN"
  exit 0
elif [[ $# -gt 0 ]]; then
  die "unknown argument '$1' (usage: $0 [--print-path])"
fi

if [[ ! -x "$BIN" ]]; then
  mkdir -p "${BIN%/*}"
  # Concurrent callers wait for one build instead of racing on the rename.
  exec 9>"${BIN%/*}/build.lock"
  flock 9
fi

if [[ -x "$BIN" ]]; then
  say "$NAME already built: $BIN"
else
  say "building $NAME with $(go version | cut -d' ' -f3) into ${BIN%/*}"
  # A temporary name, renamed when complete, so an interrupted build never
  # leaves a truncated binary that the -x test above would accept.
  (cd "$MODULE_DIR" && go build -trimpath -ldflags="-s -w" -o "$BIN.partial" .) \
    || die "go build of $NAME failed (see output above)"
  mv -f "$BIN.partial" "$BIN"
  say "built $BIN"
fi

echo "$BIN"
