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

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HACK_DIR MODULE_DIR="$HACK_DIR/porcupine"
readonly NAME=dcache-history-check

die() { echo "build-porcupine: error: $*" >&2; exit 1; }
say() { echo "build-porcupine: $*" >&2; }
# shellcheck source-path=SCRIPTDIR source=lib/go-tool.sh
source "$HACK_DIR/lib/go-tool.sh"
go_tool_require_go "$NAME"

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

BIN="$GO_TOOL_CACHE_ROOT/porcupine/$(cache_key)/$NAME"
readonly BIN

if [[ "${1:-}" == "--print-path" ]]; then
  echo "$BIN"
  exit 0
elif [[ $# -gt 0 ]]; then
  die "unknown argument '$1' (usage: $0 [--print-path])"
fi

if [[ -x "$BIN" ]]; then
  say "$NAME already built: $BIN"
else
  go_tool_build "$NAME" "$MODULE_DIR" . "$BIN" -ldflags="-s -w"
fi
echo "$BIN"
