#!/usr/bin/env bash
# Builds promtool, pinned by hack/promtool/go.mod, once into
# ~/.cache/distributed-cache/promtool/<version>-<key>/bin, and prints that
# directory on stdout. Progress goes to stderr.
#
# Usage:
#   hack/build-promtool.sh                  build if needed, then print the bin dir
#   hack/build-promtool.sh --print-bin-dir  print the bin dir without building
#
# <key> hashes go.mod, go.sum, `go version` and the build recipe below, so a
# version bump or a new toolchain builds into a fresh directory.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HACK_DIR MODULE_DIR="$HACK_DIR/promtool"
readonly MODULE=github.com/prometheus/prometheus
readonly PACKAGE="$MODULE/cmd/promtool"

die() { echo "build-promtool: error: $*" >&2; exit 1; }
say() { echo "build-promtool: $*" >&2; }
# shellcheck source-path=SCRIPTDIR source=lib/go-tool.sh
source "$HACK_DIR/lib/go-tool.sh"
go_tool_require_go promtool

# remove_all_sd leaves out Prometheus' service-discovery plugins (the AWS,
# Azure, GCE... SDKs): `check metrics` and `check rules` need none of them,
# and the build is much smaller. `check config` on a file that uses one of
# those SDs would reject it; nothing here runs that.
readonly BUILD_TAGS="remove_all_sd"

PROM_VERSION="$(go_tool_module_version "$MODULE_DIR" "$MODULE")" \
  || die "cannot resolve $MODULE in $MODULE_DIR/go.mod"
readonly PROM_VERSION

cache_key() {
  {
    cat "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum"
    go version
    echo "tags=$BUILD_TAGS"
  } | sha256sum | cut -c1-16
}

BIN_DIR="$GO_TOOL_CACHE_ROOT/promtool/$PROM_VERSION-$(cache_key)/bin"
readonly BIN_DIR BIN="$BIN_DIR/promtool"

if [[ "${1:-}" == "--print-bin-dir" ]]; then
  echo "$BIN_DIR"
  exit 0
elif [[ $# -gt 0 ]]; then
  die "unknown argument '$1' (usage: $0 [--print-bin-dir])"
fi

if [[ -x "$BIN" ]]; then
  say "promtool $PROM_VERSION already built in $BIN_DIR"
  echo "$BIN_DIR"
  exit 0
fi

# Stamps what `promtool --version` prints: the release in the module's
# VERSION file (the module's v0.3MM.P is release 3.MM.P) and the tag's time
# from the module proxy, which keeps the build reproducible.
version_ldflags() {
  local dir release build_date pkg=github.com/prometheus/common/version
  dir="$(cd "$MODULE_DIR" && go mod download -json "$MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  release="$(cat "$dir/VERSION" 2>/dev/null || echo "$PROM_VERSION")"
  build_date="$(cd "$MODULE_DIR" && go list -m -f '{{with .Time}}{{.UTC.Format "20060102-15:04:05"}}{{end}}' "$MODULE")"
  echo "-s -w -X $pkg.Version=$release -X $pkg.BuildDate=${build_date:-unknown} -X $pkg.BuildUser=distributed-cache"
}

say "(a cold build of promtool compiles about 1,100 packages; expect 4-12 minutes on 2 cores)"
go_tool_build "promtool $PROM_VERSION" "$MODULE_DIR" "$PACKAGE" "$BIN" -tags="$BUILD_TAGS" -ldflags="$(version_ldflags)"
echo "$BIN_DIR"
