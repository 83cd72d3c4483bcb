#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries pinned by hack/k8s/go.mod
# (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl)
# once, into ~/.cache/distributed-cache/k8s/<key>/bin, and prints that
# directory on stdout. Progress goes to stderr.
#
# Usage:
#   hack/build-k8s.sh                  build if needed, then print the bin dir
#   hack/build-k8s.sh --print-bin-dir  print the bin dir without building
#
# <key> hashes go.mod, go.sum, `go version` and the build recipe below, so a
# version bump or a new toolchain builds into a fresh directory.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HACK_DIR MODULE_DIR="$HACK_DIR/k8s"
readonly BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl)

die() { echo "build-k8s: error: $*" >&2; exit 1; }
say() { echo "build-k8s: $*" >&2; }
# shellcheck source-path=SCRIPTDIR source=lib/go-tool.sh
source "$HACK_DIR/lib/go-tool.sh"
go_tool_require_go "the control plane"
readonly CACHE_ROOT="$GO_TOOL_CACHE_ROOT/k8s"

module_version() { go_tool_module_version "$MODULE_DIR" "$1"; }

# The selected versions, read from the module graph rather than repeated here.
K8S_VERSION="$(module_version k8s.io/kubernetes)" || die "cannot resolve k8s.io/kubernetes in $MODULE_DIR/go.mod"
ETCD_VERSION="$(module_version go.etcd.io/etcd/server/v3)" || die "cannot resolve go.etcd.io/etcd/server/v3 in $MODULE_DIR/go.mod"
[[ "$K8S_VERSION" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "unexpected k8s.io/kubernetes version '$K8S_VERSION'"
readonly K8S_MAJOR="${BASH_REMATCH[1]}" K8S_MINOR="${BASH_REMATCH[2]}"

# Same tags as upstream release builds: notest drops test-only code,
# grpcnotrace drops x/net/trace. selinux only matters for the kubelet.
readonly BUILD_TAGS="notest,grpcnotrace"

# Stamp the release into both version packages, as hack/lib/version.sh does,
# so /version and `kubectl version` report it. The build date is the release's
# tag time from the module proxy, which keeps the build reproducible.
k8s_ldflags() {
  local build_date flags pkg
  build_date="$(cd "$MODULE_DIR" && go list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)"
  [[ -n "$build_date" ]] || build_date="1970-01-01T00:00:00Z"
  flags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$K8S_MAJOR -X $pkg.gitMinor=$K8S_MINOR"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done
  echo "$flags"
}
K8S_LDFLAGS="$(k8s_ldflags)"
readonly K8S_LDFLAGS
# etcd's version is a constant in its api module; only GitSHA is an ldflag,
# and a module download carries no commit, so etcd is left unstamped.
readonly ETCD_LDFLAGS="-s -w"

cache_key() {
  {
    cat "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum"
    go version
    echo "tags=$BUILD_TAGS k8s-ldflags=$K8S_LDFLAGS etcd-ldflags=$ETCD_LDFLAGS"
  } | sha256sum | cut -c1-16
}

KEY_DIR="$CACHE_ROOT/$K8S_VERSION-$(cache_key)"
readonly KEY_DIR
readonly BIN_DIR="$KEY_DIR/bin"

if [[ "${1:-}" == "--print-bin-dir" ]]; then
  echo "$BIN_DIR"
  exit 0
elif [[ $# -gt 0 ]]; then
  die "unknown argument '$1' (usage: $0 [--print-bin-dir])"
fi

all_present() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$BIN_DIR/$b" ]] || return 1; done
}

if all_present; then
  say "binaries for Kubernetes $K8S_VERSION (etcd $ETCD_VERSION) already built in $BIN_DIR"
  echo "$BIN_DIR"
  exit 0
fi

mkdir -p "$BIN_DIR"
# Two concurrent callers (say, a test run and `make testenv`) must not both
# spend half an hour compiling; the second waits for the first.
go_tool_lock "$KEY_DIR"

package_of() {
  case "$1" in
    etcd) echo go.etcd.io/etcd/server/v3 ;;
    *) echo "k8s.io/kubernetes/cmd/$1" ;;
  esac
}

# One binary, unless a caller before us built it.
build_one() {
  local name="$1" ldflags="$2" started elapsed size
  if [[ -x "$BIN_DIR/$name" ]]; then
    say "  $name: already built"
    return
  fi
  say "  $name: building $(package_of "$name") ..."
  started=$SECONDS
  go_tool_compile "$name" "$MODULE_DIR" "$(package_of "$name")" "$BIN_DIR/$name" -tags="$BUILD_TAGS" -ldflags="$ldflags"
  elapsed=$((SECONDS - started))
  size="$(du -h "$BIN_DIR/$name" | cut -f1)"
  say "  $name: done in ${elapsed}s ($size)"
}

if ! all_present; then
  say "building Kubernetes $K8S_VERSION and etcd $ETCD_VERSION with $(go version | cut -d' ' -f3) into $BIN_DIR"
  say "(a cold build compiles several thousand packages; expect tens of minutes on 2 cores)"
  total_started=$SECONDS
  # One binary at a time: each `go build` already uses every core, and the
  # packages they share are compiled once and reused through GOCACHE.
  build_one kube-apiserver "$K8S_LDFLAGS"
  build_one kube-controller-manager "$K8S_LDFLAGS"
  build_one kube-scheduler "$K8S_LDFLAGS"
  build_one kubectl "$K8S_LDFLAGS"
  build_one etcd "$ETCD_LDFLAGS"
  say "all binaries built in $((SECONDS - total_started))s"
fi

echo "$BIN_DIR"
