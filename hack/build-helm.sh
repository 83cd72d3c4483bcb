#!/usr/bin/env bash
# Builds the helm CLI pinned by hack/helm/go.mod once, into
# ~/.cache/distributed-cache/helm/<version>-<key>/bin, and prints that
# directory on stdout. Progress goes to stderr.
#
# Usage:
#   hack/build-helm.sh                  build if needed, then print the bin dir
#   hack/build-helm.sh --print-bin-dir  print the bin dir without building
#
# <key> hashes go.mod, go.sum, `go version` and the build flags below, so a
# version bump or a new toolchain builds into a fresh directory.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HACK_DIR MODULE_DIR="$HACK_DIR/helm"
readonly PACKAGE=helm.sh/helm/v4/cmd/helm

die() { echo "build-helm: error: $*" >&2; exit 1; }
say() { echo "build-helm: $*" >&2; }
# shellcheck source-path=SCRIPTDIR source=lib/go-tool.sh
source "$HACK_DIR/lib/go-tool.sh"
go_tool_require_go helm

HELM_VERSION="$(go_tool_module_version "$MODULE_DIR" helm.sh/helm/v4)" \
  || die "cannot resolve helm.sh/helm/v4 in $MODULE_DIR/go.mod"
readonly HELM_VERSION

# What helm's own Makefile stamps for a tagged release, so `helm version`
# reports it. A module download carries no commit, so gitCommit stays empty.
readonly LDFLAGS="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"

cache_key() {
  {
    cat "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum"
    go version
    echo "ldflags=$LDFLAGS"
  } | sha256sum | cut -c1-16
}

BIN_DIR="$GO_TOOL_CACHE_ROOT/helm/$HELM_VERSION-$(cache_key)/bin"
readonly BIN_DIR

if [[ "${1:-}" == "--print-bin-dir" ]]; then
  echo "$BIN_DIR"
  exit 0
elif [[ $# -gt 0 ]]; then
  die "unknown argument '$1' (usage: $0 [--print-bin-dir])"
fi

if [[ -x "$BIN_DIR/helm" ]]; then
  say "helm $HELM_VERSION already built in $BIN_DIR"
else
  say "(a cold build of helm compiles about a thousand packages; several minutes on 2 cores)"
  go_tool_build "helm $HELM_VERSION" "$MODULE_DIR" "$PACKAGE" "$BIN_DIR/helm" -ldflags="$LDFLAGS"
fi
echo "$BIN_DIR"
